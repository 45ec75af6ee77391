/**
 * gc: garbage-collection pauses of this thread's isolate, from `PerformanceObserver` 'gc' entries,
 * recorded as they happen (every entry of a batch; prom-client records only the first).
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { perThread, type Collector, type CollectorContext } from '../collector.js';

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** gcCollector: nodejs_gc_duration_seconds{kind} (prom-client's name, labels and default buckets). */
export function gcCollector(ctx: CollectorContext): Collector {
  const { host, threadLabels } = ctx;
  const histogram = perThread(ctx, () =>
    host.histogram({
      name: ctx.name('nodejs_gc_duration_seconds'),
      help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      labelNames: ['kind', ...ctx.threadLabelNames],
      buckets: [...ctx.options.gcDurationBuckets],
      unit: 'seconds',
    }),
  );
  const children = new Map(Object.entries(KINDS).map(([flag, kind]) => [Number(flag), histogram.labels({ kind, ...threadLabels })]));
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
      children.get(entry.detail?.kind ?? -1)?.observe(entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    collect() {},
    close() {
      // Disconnected first: an entry observed after the removal would bring a series back.
      observer.disconnect();
      for (const kind of Object.values(KINDS)) histogram.remove({ kind, ...threadLabels });
    },
  };
}
