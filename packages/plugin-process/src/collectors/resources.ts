/**
 * resources: what keeps this thread's event loop alive, by type, from the public
 * `process.getActiveResourcesInfo()` (prom-client's nodejs_active_handles/requests need private APIs).
 */
import { perThread, type Collector, type CollectorContext } from '../collector.js';

/** resourcesCollector: nodejs_active_resources{type} and nodejs_active_resources_total. */
export function resourcesCollector(ctx: CollectorContext): Collector {
  const { host, threadLabels } = ctx;
  const [byType, total] = perThread(ctx, () => [
    host.gauge({
      name: ctx.name('nodejs_active_resources'),
      help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
      labelNames: ['type', ...ctx.threadLabelNames],
    }),
    host.gauge({ name: ctx.name('nodejs_active_resources_total'), help: 'Total number of active resources.', labelNames: ctx.threadLabelNames }),
  ] as const);
  const totalChild = total.labels(threadLabels);
  // Types seen before: set to 0 when none is left, so a type never shows a stale count; removed on close.
  const seen = new Set<string>();
  return {
    collect() {
      const resources = process.getActiveResourcesInfo();
      const counts = new Map<string, number>();
      for (const type of resources) counts.set(type, (counts.get(type) ?? 0) + 1);
      for (const type of seen) if (!counts.has(type)) counts.set(type, 0);
      for (const [type, n] of counts) {
        seen.add(type);
        byType.labels({ type, ...threadLabels }).set(n);
      }
      totalChild.set(resources.length);
    },
    close() {
      for (const type of seen) byType.remove({ type, ...threadLabels });
      total.remove(threadLabels);
    },
  };
}
