/**
 * memory: process-wide memory from /proc/self/status (async) and the memory limit the process
 * really has. Off Linux, only the resident size (from libuv) and the limit are reported.
 */
import type { Collector, CollectorContext } from '../collector.js';
import { readMemoryLimit } from '../memory-limit.js';
import { HAS_PROCFS, parseStatus, ProcFile } from '../proc-files.js';
import { cachedFor, LIMITS_REFRESH_MS } from './cached.js';

/** memoryCollector: process_resident_memory_bytes, process_virtual_memory_bytes, process_heap_bytes, process_memory_limit_bytes. */
export function memoryCollector(ctx: CollectorContext): Collector {
  const { host } = ctx;
  const rss = host.gauge({ name: ctx.name('process_resident_memory_bytes'), help: 'Resident memory size in bytes.', unit: 'bytes' });
  const limit = host.gauge({
    name: ctx.name('process_memory_limit_bytes'),
    help: 'Memory the process may use in bytes: the tightest cgroup (v2/v1) limit, else physical memory.',
    unit: 'bytes',
  });
  const readLimit = cachedFor(LIMITS_REFRESH_MS, readMemoryLimit);
  if (!HAS_PROCFS) {
    return {
      async collect() {
        rss.set(process.memoryUsage.rss());
        limit.set(await readLimit());
      },
    };
  }
  const virtual = host.gauge({ name: ctx.name('process_virtual_memory_bytes'), help: 'Virtual memory size in bytes.', unit: 'bytes' });
  const heap = host.gauge({ name: ctx.name('process_heap_bytes'), help: 'Process heap size in bytes.', unit: 'bytes' });
  const statusFile = new ProcFile('/proc/self/status');
  return {
    async collect() {
      const [text, max] = await Promise.all([statusFile.read(), readLimit()]);
      const status = parseStatus(text);
      rss.set(status.rss);
      virtual.set(status.virtual);
      heap.set(status.data);
      limit.set(max);
    },
    close: () => statusFile.close(),
  };
}
