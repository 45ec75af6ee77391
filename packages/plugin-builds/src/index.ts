/**
 * @metricore/plugin-builds: CI-server metrics (build and evaluation durations and outcomes, the
 * scheduler, binary caches), fed by domain events the application emits and by GROUP BY queries
 * that run against PostgreSQL (or an embedded PGlite) at scrape time.
 *
 * ```ts
 * const host = new MetricsHost({ plugins: [buildsMetrics({ prefix: 'gradient_', sql: { client: pool } })] });
 * const events = buildsMetrics.getHooks(host);
 * if (events.buildFinished.isUsed()) events.buildFinished.call({ org, project, status: 'completed', durationSeconds });
 * ```
 */
import { ErrorCode, MetricoreError, type MetricsHost, type Plugin } from '@metricore/framework';
import { tapEvents } from './events.js';
import { Families } from './families.js';
import { getHooks, type BuildsHooks } from './hooks.js';
import { PLUGIN_NAME, resolveOptions, type BuildsMetricsOptions } from './options.js';
import { SqlSource } from './sql-source.js';

export { PLUGIN_NAME, type BuildsMetricsOptions, type SqlOptions } from './options.js';
export { getHooks } from './hooks.js';
export type { BuildsHooks, BuildFinished, EvaluationFinished, StateChanged, BuildWait, SchedulerState, CacheServed, CacheStored, Tenant } from './hooks.js';
export { BUILD_STATUSES, BUILD_TERMINAL, EVALUATION_STATUSES, EVALUATION_TERMINAL, type BuildStatus, type EvaluationStatus } from './statuses.js';
export { DEFAULT_QUERIES, QUERY_NAMES, SCHEMA_SQL, type QueryName } from './queries.js';
export { durationBuckets, waitBuckets, TENANT_LABELS } from './families.js';
export type { SqlClient, SqlRow } from './sql-client.js';

/** BuildsPlugin: the plugin; its event hooks are `buildsMetrics.getHooks(host)`. */
export type BuildsPlugin = Plugin;

/**
 * buildsMetrics: the plugin factory. Options are validated here (a coded TypeError names the bad
 * option). One instance serves one host. Events cost a few buffered recordings each; with `sql`,
 * each scrape (at most once per `minIntervalMs`) runs the queries in parallel on the client.
 */
function buildsMetrics(options: BuildsMetricsOptions = {}): BuildsPlugin {
  const resolved = resolveOptions(options);
  let appliedTo: MetricsHost | undefined;
  return {
    name: PLUGIN_NAME,
    framework: '^0.1.0',
    apply(host) {
      if (appliedTo !== undefined && appliedTo !== host) {
        // The SQL source keeps per-host baselines: sharing it would count increases on one host only.
        throw new MetricoreError(ErrorCode.PLUGIN_DUPLICATE, `${PLUGIN_NAME}: this buildsMetrics() instance is already applied to another host; make one per host`);
      }
      appliedTo = host;
      const families = new Families(host, resolved.prefix, resolved.gaugeLabelPolicy);
      // Every family is defined here, in apply, so the host knows they are this plugin's.
      for (const key of EVENT_FAMILIES) void families[key];
      const queries = resolved.sql?.queries;
      const owned = (q: 'builds' | 'evaluations' | 'cacheTraffic') => queries !== undefined && queries[q] !== false;
      tapEvents(host, families, { builds: owned('builds'), evaluations: owned('evaluations'), cacheTraffic: owned('cacheTraffic') });
      if (resolved.sql !== undefined) {
        const source = new SqlSource(resolved.sql, families, host.logger);
        host.hooks.collect.tapPromise(PLUGIN_NAME, (context) => source.collect(context.signal));
      }
    },
  };
}

const EVENT_FAMILIES = [
  'buildsTotal',
  'evaluationsTotal',
  'buildsInState',
  'evaluationsInState',
  'buildDuration',
  'evaluationDuration',
  'dispatchWait',
  'dependencyWait',
  'jobsPending',
  'jobsActive',
  'workersConnected',
  'cacheBytesSent',
  'cacheNarRequests',
  'cacheStoredBytesTotal',
  'cacheStoredPackagesTotal',
] as const satisfies ReadonlyArray<keyof Families>;

/** buildsMetrics.getHooks: the plugin's event hooks on `host` (made on first use, also where the plugin is absent: then `isUsed()` is false). */
buildsMetrics.getHooks = (host: MetricsHost): BuildsHooks => getHooks(host);

export default buildsMetrics;
export { buildsMetrics };
