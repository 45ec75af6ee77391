/**
 * heap: this thread's V8 heap, from `v8.getHeapStatistics()` and `v8.getHeapSpaceStatistics()`
 * (no /proc read, unlike `process.memoryUsage()`, which reads /proc/self/stat synchronously for RSS).
 */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { perThread, type Collector, type CollectorContext } from '../collector.js';

/** heapCollector: nodejs_heap_size_{total,used}_bytes, nodejs_external_memory_bytes and nodejs_heap_space_size_{total,used,available}_bytes{space}. */
export function heapCollector(ctx: CollectorContext): Collector {
  const { host, threadLabelNames: labelNames, threadLabels } = ctx;
  const spaceLabels = ['space', ...labelNames];
  const [total, used, external, spaceTotal, spaceUsed, spaceAvailable] = perThread(ctx, () => [
    host.gauge({ name: ctx.name('nodejs_heap_size_total_bytes'), help: 'Process heap size from Node.js in bytes.', labelNames, unit: 'bytes' }),
    host.gauge({ name: ctx.name('nodejs_heap_size_used_bytes'), help: 'Process heap size used from Node.js in bytes.', labelNames, unit: 'bytes' }),
    host.gauge({ name: ctx.name('nodejs_external_memory_bytes'), help: 'Node.js external memory size in bytes.', labelNames, unit: 'bytes' }),
    host.gauge({ name: ctx.name('nodejs_heap_space_size_total_bytes'), help: 'Process heap space size total from Node.js in bytes.', labelNames: spaceLabels, unit: 'bytes' }),
    host.gauge({ name: ctx.name('nodejs_heap_space_size_used_bytes'), help: 'Process heap space size used from Node.js in bytes.', labelNames: spaceLabels, unit: 'bytes' }),
    host.gauge({ name: ctx.name('nodejs_heap_space_size_available_bytes'), help: 'Process heap space size available from Node.js in bytes.', labelNames: spaceLabels, unit: 'bytes' }),
  ] as const);
  const totalChild = total.labels(threadLabels);
  const usedChild = used.labels(threadLabels);
  const externalChild = external.labels(threadLabels);
  const spaces = new Set<string>();
  return {
    collect() {
      const stats = getHeapStatistics();
      totalChild.set(stats.total_heap_size);
      usedChild.set(stats.used_heap_size);
      externalChild.set(stats.external_memory);
      for (const s of getHeapSpaceStatistics()) {
        // prom-client's label values: "new_space" → "new", "code_large_object_space" → "code_large_object".
        const space = s.space_name.replace(/_space$/, '');
        spaces.add(space);
        const labels = { space, ...threadLabels };
        spaceTotal.labels(labels).set(s.space_size);
        spaceUsed.labels(labels).set(s.space_used_size);
        spaceAvailable.labels(labels).set(s.space_available_size);
      }
    },
    close() {
      // This thread's heap is gone with it: its series leave the exposition instead of going stale.
      for (const family of [total, used, external]) family.remove(threadLabels);
      for (const space of spaces) {
        for (const family of [spaceTotal, spaceUsed, spaceAvailable]) family.remove({ space, ...threadLabels });
      }
    },
  };
}
