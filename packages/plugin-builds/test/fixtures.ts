/**
 * fixtures: the schema and one small data set shared by the PostgreSQL and PGlite suites, with the
 * values the scrape must show for it.
 */
import { SCHEMA_SQL, type SqlClient } from '../src/index.js';

/** Exec: runs several statements (pg's query does; PGlite needs exec). */
export type Exec = (sql: string) => Promise<unknown>;

/** seed: creates the schema and the fixture rows (3 orgs, builds and evaluations in several statuses, 2 caches). */
export async function seed(exec: Exec): Promise<void> {
  await exec(SCHEMA_SQL);
  await exec(`
TRUNCATE organization, project, evaluation, build, cache, cache_metric, nar RESTART IDENTITY CASCADE;
INSERT INTO organization (name) VALUES ('org1'), ('org2'), ('org3');
INSERT INTO project (organization, name) VALUES (1, 'nixpkgs'), (1, 'tools'), (2, 'web'), (3, 'infra');
INSERT INTO evaluation (project, status) VALUES (1, 'completed'), (1, 'completed'), (1, 'evaluating_flake'), (2, 'failed'), (3, 'completed'), (4, 'queued');
INSERT INTO build (evaluation, status, build_time_ms)
  SELECT 1, 'completed', 1000 FROM generate_series(1, 5)
  UNION ALL SELECT 1, 'failed_permanent', 2000
  UNION ALL SELECT 2, 'building', NULL FROM generate_series(1, 2)
  UNION ALL SELECT 5, 'completed', 3000 FROM generate_series(1, 3)
  UNION ALL SELECT 5, 'queued', NULL
  UNION ALL SELECT 6, 'failed_timeout', 14400000;
INSERT INTO cache (name) VALUES ('main'), ('nixpkgs');
INSERT INTO cache_metric (cache, bucket_time, bytes_sent, nar_count) VALUES
  (1, date_trunc('minute', now()) - interval '30 minutes', 100000, 10),
  (1, now() - interval '3 minutes', 30000, 6),
  (1, now() - interval '20 seconds', 6000, 3),
  (2, now() - interval '2 hours', 5000, 1);
INSERT INTO nar (cache, file_size, created_at) VALUES (1, 7200, now()), (1, 1000, now() - interval '2 hours'), (2, 500, now() - interval '3 hours');
`);
}

/** addBuilds: `n` more completed builds of org1/nixpkgs. */
export async function addBuilds(exec: Exec, n: number): Promise<void> {
  await exec(`INSERT INTO build (evaluation, status, build_time_ms) SELECT 1, 'completed', 1000 FROM generate_series(1, ${n})`);
}

/** clientOf: narrows a test client to the plugin's client type (pg Pool and PGlite both fit). */
export function clientOf(c: unknown): SqlClient {
  return c as SqlClient;
}
