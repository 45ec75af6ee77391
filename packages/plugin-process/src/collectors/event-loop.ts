/**
 * event-loop: how late this thread's event loop runs timers, as a cumulative histogram, and how
 * busy the loop is (event-loop utilisation).
 *
 * Why our own sampler and not `monitorEventLoopDelay`: that API only hands out percentiles of an
 * HDR histogram, so Prometheus buckets would have to be guessed from percentiles and the
 * histogram reset per scrape (prom-client's p50/p90/p99 gauges are exactly that: a window
 * that depends on who scraped last). A timer that re-arms every `eventLoopResolutionMs` and
 * observes how late it fired gives exact bucket counts and sum, never reset, so `rate()` and
 * `histogram_quantile()` work over any range. It costs one timer callback per resolution
 * (100 a second at the default 10 ms, ~1-2 µs each). A loop blocked for 2 s shows up as one
 * 2 s sample (monitorEventLoopDelay counts it the same way), and `_sum` adds up the time the
 * loop was late.
 */
import { performance } from 'node:perf_hooks';
import { perThread, type Collector, type CollectorContext } from '../collector.js';

/** eventLoopCollector: nodejs_eventloop_delay_seconds, nodejs_eventloop_{active,idle}_seconds_total, nodejs_eventloop_utilization_ratio. */
export function eventLoopCollector(ctx: CollectorContext): Collector {
  const { host, threadLabelNames: labelNames, threadLabels, options } = ctx;
  const [delay, active, idle, utilization] = perThread(ctx, () => [
    host.histogram({
      name: ctx.name('nodejs_eventloop_delay_seconds'),
      help: `How late the event loop ran a timer, in seconds, sampled every ${options.eventLoopResolutionMs} ms (cumulative, never reset).`,
      labelNames,
      buckets: [...options.eventLoopBuckets],
      unit: 'seconds',
    }),
    host.counter({ name: ctx.name('nodejs_eventloop_active_seconds_total'), help: 'Time the event loop spent running callbacks, in seconds.', labelNames, unit: 'seconds' }),
    host.counter({ name: ctx.name('nodejs_eventloop_idle_seconds_total'), help: 'Time the event loop spent waiting for events, in seconds.', labelNames, unit: 'seconds' }),
    host.gauge({ name: ctx.name('nodejs_eventloop_utilization_ratio'), help: 'Event-loop utilisation (active / (active + idle)) since the previous collection.', labelNames, unit: 'ratio' }),
  ] as const);
  const delayChild = delay.labels(threadLabels);
  const activeChild = active.labels(threadLabels);
  const idleChild = idle.labels(threadLabels);
  const utilizationChild = utilization.labels(threadLabels);

  const resolution = options.eventLoopResolutionMs;
  let expected = performance.now() + resolution;
  const timer = setTimeout(function sample() {
    const now = performance.now();
    // libuv's millisecond clock can fire a timer a fraction of a millisecond "early": clamp at 0.
    delayChild.observe(Math.max(0, now - expected) / 1000);
    expected = now + resolution;
    timer.refresh(); // Re-arms the same Timeout object: no allocation per sample.
  }, resolution);
  timer.unref();

  const counted = { active: 0, idle: 0 };
  let previous = performance.eventLoopUtilization();
  return {
    collect() {
      const now = performance.eventLoopUtilization();
      // Cumulative ms since the loop started: add the delta so the counters stay counters.
      activeChild.inc(Math.max(0, now.active - counted.active) / 1000);
      idleChild.inc(Math.max(0, now.idle - counted.idle) / 1000);
      counted.active = Math.max(counted.active, now.active);
      counted.idle = Math.max(counted.idle, now.idle);
      const window = performance.eventLoopUtilization(now, previous);
      if (Number.isFinite(window.utilization)) utilizationChild.set(window.utilization);
      previous = now;
    },
    close() {
      // The timer goes first: a sample after the removal would bring the histogram back.
      clearTimeout(timer);
      for (const family of [delay, active, idle, utilization]) family.remove(threadLabels);
    },
  };
}
