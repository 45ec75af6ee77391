/**
 * cpu: process CPU time as counters. The OS gives a running total; each collect adds the delta
 * since the last one, so the families stay real counters (starting from the process's first CPU
 * second, unlike prom-client, which starts counting when it is loaded).
 */
import type { Collector, CollectorContext } from '../collector.js';

/** cpuCollector: process_cpu_{user,system}_seconds_total and process_cpu_seconds_total from `process.cpuUsage()`. */
export function cpuCollector(ctx: CollectorContext): Collector {
  const { host } = ctx;
  const user = host.counter({ name: ctx.name('process_cpu_user_seconds_total'), help: 'Total user CPU time spent in seconds.', unit: 'seconds' });
  const system = host.counter({ name: ctx.name('process_cpu_system_seconds_total'), help: 'Total system CPU time spent in seconds.', unit: 'seconds' });
  const total = host.counter({ name: ctx.name('process_cpu_seconds_total'), help: 'Total user and system CPU time spent in seconds.', unit: 'seconds' });
  let last = { user: 0, system: 0 };
  return {
    collect() {
      const now = process.cpuUsage(); // getrusage(2): a syscall, no file read.
      const du = Math.max(0, now.user - last.user);
      const ds = Math.max(0, now.system - last.system);
      last = now;
      user.inc(du / 1e6);
      system.inc(ds / 1e6);
      total.inc((du + ds) / 1e6);
    },
  };
}
