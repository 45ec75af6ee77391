/**
 * options: the plugin's options, validated with zod through the framework's `parseOptions`, so a
 * bad option throws `METRICORE_INVALID_OPTION` naming the option and the value.
 */
import { parseOptions, type LabelPolicy } from '@metricore/framework';
import { z } from 'zod';
import { QUERY_NAMES, type QueryName } from './queries.js';
import type { SqlClient } from './sql-client.js';

/** PLUGIN_NAME: the plugin's name and every tap's name. */
export const PLUGIN_NAME = '@metricore/plugin-builds';

const client = z.custom<SqlClient>(
  (v) => typeof v === 'object' && v !== null && typeof (v as SqlClient).query === 'function',
  'expected a client with query(text, params) returning { rows } (pg Pool, PGlite, ...)',
);

const sqlSchema = z
  .object({
    client,
    queries: z.object(Object.fromEntries(QUERY_NAMES.map((n) => [n, z.union([z.string().min(1), z.literal(false)]).optional()]))).strict().default({}),
    statementTimeoutMs: z.number().int().min(1).default(2000),
    minIntervalMs: z.number().int().min(0).default(10_000),
  })
  .strict();

const schema = z
  .object({
    prefix: z
      .string()
      .regex(/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/, 'prefix must be empty or a valid metric-name start, e.g. "gradient_"')
      .default(''),
    sql: sqlSchema.optional(),
    gaugeLabelPolicy: z.record(z.string(), z.any()).default({}),
  })
  .strict();

/** SqlOptions: the SQL source (off when absent). */
export interface SqlOptions {
  /** client: anything with `query(text, params) -> Promise<{ rows }>`: pg's `Pool` (recommended), a pg `Client`, PGlite. */
  client: SqlClient;
  /** queries: replacement SQL per query (keep the documented columns), or `false` to turn a query off. */
  queries?: Partial<Record<QueryName, string | false>>;
  /** statementTimeoutMs: `SET LOCAL statement_timeout` of each query, and the client-side deadline (plus 100 ms). Default 2000. */
  statementTimeoutMs?: number;
  /** minIntervalMs: scrapes closer together than this reuse the last results instead of querying. Default 10000. */
  minIntervalMs?: number;
}

/** BuildsMetricsOptions: what `buildsMetrics()` takes; every option is optional (docs/plugins/builds.md has the table). */
export interface BuildsMetricsOptions {
  /** prefix: prepended to every metric name, e.g. "gradient_" for the upstream names. Default "". */
  prefix?: string;
  /** sql: scrape-time SQL source; absent means events only. */
  sql?: SqlOptions;
  /**
   * gaugeLabelPolicy: the rule a tenant label (org, project, cache) of a gauge family gets when the
   * host's rule for it is `topN`, which gauges cannot use. Default `{ drop: true }` (the gauge sums over tenants).
   */
  gaugeLabelPolicy?: LabelPolicy;
}

/** ResolvedSqlOptions: SQL options after defaults. */
export interface ResolvedSqlOptions {
  client: SqlClient;
  queries: Partial<Record<QueryName, string | false>>;
  statementTimeoutMs: number;
  minIntervalMs: number;
}

/** ResolvedOptions: options after defaults. */
export interface ResolvedOptions {
  prefix: string;
  sql?: ResolvedSqlOptions;
  gaugeLabelPolicy: LabelPolicy;
}

/** resolveOptions: validates and fills defaults; throws `METRICORE_INVALID_OPTION` naming the option. */
export function resolveOptions(options: BuildsMetricsOptions): ResolvedOptions {
  return parseOptions(schema, options, PLUGIN_NAME) as ResolvedOptions;
}
