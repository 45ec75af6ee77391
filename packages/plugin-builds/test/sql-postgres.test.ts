// The SQL suite against a real PostgreSQL cluster (Debian's server binaries), plus what only a
// server does: statement_timeout cancelling a slow query, and the server going away and coming back.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHost, scrapeUrl } from '@metricore/framework/testing';
import buildsMetrics from '../src/index.js';
import { clientOf, seed } from './fixtures.js';
import { postgresAvailable, startCluster, type TestCluster } from './postgres.js';
import { sqlSuite } from './sql.suite.js';

const available = postgresAvailable();
let cluster: TestCluster | undefined;
let pool: pg.Pool | undefined;
const poolErrors: Error[] = [];

beforeAll(async () => {
  if (!available) return;
  cluster = await startCluster();
  pool = new pg.Pool({ connectionString: cluster.connectionString, max: 4, connectionTimeoutMillis: 5000 });
  // Idle connections die when the server stops; pg reports that here instead of crashing the process.
  pool.on('error', (error) => poolErrors.push(error));
});
afterAll(async () => {
  await pool?.end();
  await cluster?.destroy();
});

sqlSuite('PostgreSQL (pg Pool)', () => (pool === undefined ? undefined : { client: () => clientOf(pool), exec: (sql) => pool!.query(sql) }));

describe('SQL source on a real PostgreSQL server', () => {
  it('a query slower than statement_timeout is cancelled by the server; the rest of /metrics stays', async (ctx) => {
    if (pool === undefined) return ctx.skip();
    await seed((sql) => pool!.query(sql));
    const host = createTestHost({
      plugins: [
        buildsMetrics({
          sql: {
            client: clientOf(pool),
            minIntervalMs: 0,
            statementTimeoutMs: 200,
            queries: { cacheStorage: `SELECT 'main' AS cache, 1 AS stored_bytes, 1 AS packages, 0 AS growth_bytes_per_second FROM pg_sleep(5)` },
          },
        }),
      ],
    });
    try {
      const { url } = await host.listen({ port: 0 });
      const s = await scrapeUrl(url);
      expect(s.seriesCount('cache_size_bytes')).toBe(0);
      expect(s.value('builds_sql_query_errors_total', { query: 'cacheStorage', reason: 'timeout' })).toBe(1);
      expect(s.value('builds_total', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBe(5);
      // The server cancelled it (no connection is left busy in pg_sleep).
      const busy = await pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(5)%' AND state = 'active' AND pid <> pg_backend_pid()`);
      expect(busy.rows[0].n).toBe(0);
    } finally {
      await host.close();
    }
  });

  it('PostgreSQL stopped mid-test: error metric and a valid 200 response; values come back when it does', async (ctx) => {
    if (pool === undefined || cluster === undefined) return ctx.skip();
    await seed((sql) => pool!.query(sql));
    const warnings: string[] = [];
    const host = createTestHost({
      logger: { warn: (m) => warnings.push(m) },
      plugins: [buildsMetrics({ sql: { client: clientOf(pool), minIntervalMs: 0, statementTimeoutMs: 2000 } })],
    });
    try {
      const { url } = await host.listen({ port: 0 });
      const labels = { org: 'org1', project: 'nixpkgs', status: 'completed' };
      expect((await scrapeUrl(url)).value('builds_total', labels)).toBe(5);

      await cluster.stop();
      const down = await scrapeUrl(url); // throws unless the answer is 200 and parses
      expect(down.seriesCount('builds_total')).toBe(0);
      expect(down.seriesCount('cache_size_bytes')).toBe(0);
      expect(down.value('builds_sql_query_errors_total', { query: 'builds', reason: 'error' })).toBe(1);
      expect(down.value('builds_sql_query_errors_total', { query: 'cacheRates', reason: 'error' })).toBe(1);
      // The event-fed families and the host's own are still there.
      expect(down.family('build_duration_seconds')).toBeDefined();
      expect(down.family('metricore_scrape_duration_seconds')).toBeDefined();
      await scrapeUrl(url);
      expect(warnings.filter((w) => w.includes('"builds" failed'))).toHaveLength(1);

      await cluster.start();
      // pg hands out a fresh connection once the server is back; wait for that with a deadline.
      let up = await scrapeUrl(url);
      const deadline = Date.now() + 30_000;
      while (up.value('builds_total', labels) === undefined && Date.now() < deadline) up = await scrapeUrl(url);
      expect(up.value('builds_total', labels)).toBe(5);
      expect(up.value('cache_size_bytes', { cache: 'main' })).toBe(8200);
      expect(up.value('builds_sql_query_errors_total', { query: 'builds', reason: 'error' })).toBeGreaterThanOrEqual(2);
      expect(warnings.some((w) => w.includes('"builds" works again'))).toBe(true);
    } finally {
      await host.close();
    }
  });
});
