/**
 * queries: the SQL source's default queries, the schema they expect, and how each query's rows
 * become values of its families. An operator replaces a query's text (same columns) or turns it off.
 */
import { DeltaCounter, DeltaGauge } from './delta.js';
import type { Families } from './families.js';
import type { SqlRow } from './sql-client.js';
import { BUILD_TERMINAL, EVALUATION_TERMINAL } from './statuses.js';

/** QUERY_NAMES: the SQL source's queries, each owning its families. */
export const QUERY_NAMES = ['builds', 'evaluations', 'cacheTraffic', 'cacheRates', 'cacheStorage'] as const;
/** QueryName: one of QUERY_NAMES. */
export type QueryName = (typeof QUERY_NAMES)[number];

/**
 * SCHEMA_SQL: the tables the default queries read (a subset of the CI server's schema); tests and
 * the demo create it. Extra columns and tables do no harm.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS organization (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS project (id bigserial PRIMARY KEY, organization bigint NOT NULL REFERENCES organization(id), name text NOT NULL);
CREATE TABLE IF NOT EXISTS evaluation (
  id bigserial PRIMARY KEY, project bigint NOT NULL REFERENCES project(id), status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS build (
  id bigserial PRIMARY KEY, evaluation bigint NOT NULL REFERENCES evaluation(id), status text NOT NULL,
  build_time_ms bigint, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS cache (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS cache_metric (
  cache bigint NOT NULL REFERENCES cache(id), bucket_time timestamptz NOT NULL,
  bytes_sent bigint NOT NULL DEFAULT 0, nar_count bigint NOT NULL DEFAULT 0, PRIMARY KEY (cache, bucket_time));
CREATE TABLE IF NOT EXISTS nar (
  id bigserial PRIMARY KEY, cache bigint NOT NULL REFERENCES cache(id), file_size bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now());
`;

/** DEFAULT_QUERIES: each query's SQL; the column names are the contract an override must keep. */
export const DEFAULT_QUERIES: Readonly<Record<QueryName, string>> = Object.freeze({
  /** Columns: org, project, status, count. */
  builds: `SELECT o.name AS org, p.name AS project, b.status AS status, count(*) AS count
FROM build b JOIN evaluation e ON e.id = b.evaluation JOIN project p ON p.id = e.project JOIN organization o ON o.id = p.organization
GROUP BY o.name, p.name, b.status`,
  /** Columns: org, project, status, count. */
  evaluations: `SELECT o.name AS org, p.name AS project, e.status AS status, count(*) AS count
FROM evaluation e JOIN project p ON p.id = e.project JOIN organization o ON o.id = p.organization
GROUP BY o.name, p.name, e.status`,
  /** Columns: cache, bytes_sent, nar_count (totals over the whole table). */
  cacheTraffic: `SELECT c.name AS cache, coalesce(sum(m.bytes_sent), 0) AS bytes_sent, coalesce(sum(m.nar_count), 0) AS nar_count
FROM cache c LEFT JOIN cache_metric m ON m.cache = c.id
GROUP BY c.name`,
  /** Columns: cache, window ("1m", "5m"), bytes_per_second, nars_per_second (per-minute buckets newer than the window). */
  cacheRates: `SELECT c.name AS cache, w.name AS "window",
  coalesce(sum(m.bytes_sent), 0)::float8 / w.seconds AS bytes_per_second,
  coalesce(sum(m.nar_count), 0)::float8 / w.seconds AS nars_per_second
FROM cache c CROSS JOIN (VALUES ('1m', 60), ('5m', 300)) AS w(name, seconds)
LEFT JOIN cache_metric m ON m.cache = c.id AND m.bucket_time > now() - make_interval(secs => w.seconds)
GROUP BY c.name, w.name, w.seconds`,
  /** Columns: cache, stored_bytes, packages, growth_bytes_per_second (bytes added over the last hour / 3600). */
  cacheStorage: `SELECT c.name AS cache, coalesce(sum(n.file_size), 0) AS stored_bytes, count(n.id) AS packages,
  coalesce(sum(n.file_size) FILTER (WHERE n.created_at > now() - interval '1 hour'), 0)::float8 / 3600 AS growth_bytes_per_second
FROM cache c LEFT JOIN nar n ON n.cache = c.id
GROUP BY c.name`,
});

/** QueryTarget: what a query's rows update, and how to take its families out when it fails. */
export interface QueryTarget {
  apply(rows: SqlRow[]): void;
  clear(): void;
}

type Labels = Record<string, string>;

function text(row: SqlRow, column: string): string {
  const v = row[column];
  return v === null || v === undefined ? '' : String(v);
}

function num(row: SqlRow, column: string): number {
  const v = Number(row[column]);
  if (!Number.isFinite(v)) throw new TypeError(`column "${column}" is ${JSON.stringify(row[column])}, expected a number`);
  return v;
}

/** statusTarget: rows (org, project, status, count) into a terminal counter and an in-state gauge. */
function statusTarget(total: DeltaCounter, inState: DeltaGauge, terminal: ReadonlySet<string>): QueryTarget {
  return {
    apply(rows) {
      const done: Array<[Labels, number]> = [];
      const open: Array<[Labels, number]> = [];
      for (const row of rows) {
        const labels = { org: text(row, 'org'), project: text(row, 'project'), status: text(row, 'status') };
        (terminal.has(labels.status) ? done : open).push([labels, num(row, 'count')]);
      }
      total.update(done);
      inState.update(open);
    },
    clear() {
      total.clear();
      inState.clear();
    },
  };
}

/** makeTargets: one target per query, over the plugin's families. */
export function makeTargets(f: Families): Record<QueryName, () => QueryTarget> {
  return {
    builds: () => statusTarget(new DeltaCounter(f.buildsTotal), new DeltaGauge(f.buildsInState), BUILD_TERMINAL),
    evaluations: () => statusTarget(new DeltaCounter(f.evaluationsTotal), new DeltaGauge(f.evaluationsInState), EVALUATION_TERMINAL),
    cacheTraffic: () => {
      const bytes = new DeltaCounter(f.cacheBytesSent);
      const nars = new DeltaCounter(f.cacheNarRequests);
      return {
        apply(rows) {
          bytes.update(rows.map((r) => [{ cache: text(r, 'cache') }, num(r, 'bytes_sent')]));
          nars.update(rows.map((r) => [{ cache: text(r, 'cache') }, num(r, 'nar_count')]));
        },
        clear() {
          bytes.clear();
          nars.clear();
        },
      };
    },
    cacheRates: () => {
      const bytes = new DeltaGauge(f.cacheBytesSentRate);
      const nars = new DeltaGauge(f.cacheNarRequestsRate);
      return {
        apply(rows) {
          const labels = (r: SqlRow) => ({ cache: text(r, 'cache'), window: text(r, 'window') });
          bytes.update(rows.map((r) => [labels(r), num(r, 'bytes_per_second')]));
          nars.update(rows.map((r) => [labels(r), num(r, 'nars_per_second')]));
        },
        clear() {
          bytes.clear();
          nars.clear();
        },
      };
    },
    cacheStorage: () => {
      const bytes = new DeltaGauge(f.cacheStoredBytes);
      const packages = new DeltaGauge(f.cacheStoredPackages);
      const growth = new DeltaGauge(f.cacheGrowthRate);
      return {
        apply(rows) {
          bytes.update(rows.map((r) => [{ cache: text(r, 'cache') }, num(r, 'stored_bytes')]));
          packages.update(rows.map((r) => [{ cache: text(r, 'cache') }, num(r, 'packages')]));
          growth.update(rows.map((r) => [{ cache: text(r, 'cache') }, num(r, 'growth_bytes_per_second')]));
        },
        clear() {
          bytes.clear();
          packages.clear();
          growth.clear();
        },
      };
    },
  };
}
