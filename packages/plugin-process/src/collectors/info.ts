/**
 * info: constant facts about the process. Set again at every collection (two buffer appends), so
 * a label-policy idle TTL never evicts them.
 */
import type { Collector, CollectorContext } from '../collector.js';

/** infoCollector: process_start_time_seconds (rounded like prom-client) and nodejs_version_info. */
export function infoCollector(ctx: CollectorContext): Collector {
  const { host } = ctx;
  const start = host.gauge({ name: ctx.name('process_start_time_seconds'), help: 'Start time of the process since unix epoch in seconds.', unit: 'seconds' });
  const version = host.gauge({ name: ctx.name('nodejs_version_info'), help: 'Node.js version info.', labelNames: ['version', 'major', 'minor', 'patch'] });
  const startedAt = Math.round(Date.now() / 1000 - process.uptime());
  const [major, minor, patch] = process.version.slice(1).split('.');
  const versionChild = version.labels({ version: process.version, major, minor, patch });
  const collect = () => {
    start.set(startedAt);
    versionChild.set(1);
  };
  collect();
  return { collect };
}
