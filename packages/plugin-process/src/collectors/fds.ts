/**
 * fds: open and maximum file descriptors, from /proc/self/fd and /proc/self/limits (Linux only, as
 * in prom-client). The listing runs alone, before other groups open files, so the count is exact.
 */
import type { Collector, CollectorContext } from '../collector.js';
import { countOpenFds, HAS_PROCFS, readMaxFds } from '../proc-files.js';
import { cachedFor, LIMITS_REFRESH_MS } from './cached.js';

/** fdsCollector: process_open_fds and process_max_fds; undefined off Linux. */
export function fdsCollector(ctx: CollectorContext): Collector | undefined {
  if (!HAS_PROCFS) return undefined;
  const open = ctx.host.gauge({ name: ctx.name('process_open_fds'), help: 'Number of open file descriptors.' });
  const max = ctx.host.gauge({ name: ctx.name('process_max_fds'), help: 'Maximum number of open file descriptors.' });
  const readMax = cachedFor(LIMITS_REFRESH_MS, readMaxFds);
  return {
    async collect() {
      open.set(await countOpenFds());
      const limit = await readMax();
      // "unlimited" has no number; leaving the gauge unset is what prom-client does too.
      if (limit !== undefined) max.set(limit);
    },
  };
}
