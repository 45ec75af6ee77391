/**
 * sql.suite: the SQL source's tests, run against every client kind (real PostgreSQL through pg's
 * Pool, and PGlite), so the same queries give the same exposition on both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsHost } from '@metricore/framework';
import { createTestHost, scrapeHost } from '@metricore/framework/testing';
import buildsMetrics, { getHooks, type SqlClient, type SqlOptions } from '../src/index.js';
import { addBuilds, seed, type Exec } from './fixtures.js';

/** SqlTarget: how a suite reaches its database. */
export interface SqlTarget {
  client(): SqlClient;
  exec: Exec;
}

/** sqlSuite: the shared tests; `target()` is called inside each test, after the suite's setup ran. */
export function sqlSuite(name: string, target: () => SqlTarget | undefined): void {
  describe(`SQL source on ${name}`, () => {
    const hosts: MetricsHost[] = [];
    afterEach(async () => {
      await Promise.all(hosts.splice(0).map((h) => h.close()));
    });
    const hostWith = (t: SqlTarget, sql: Partial<SqlOptions> = {}, extra: Parameters<typeof createTestHost>[0] = {}) => {
      const warnings: string[] = [];
      const host = createTestHost({
        logger: { warn: (m) => warnings.push(m) },
        ...extra,
        plugins: [buildsMetrics({ prefix: 'gradient_', sql: { client: t.client(), minIntervalMs: 0, ...sql } })],
      });
      hosts.push(host);
      return { host, warnings };
    };

    it('turns the GROUP BY rows into exact counters and gauges', async (ctx) => {
      const t = target();
      if (t === undefined) return ctx.skip();
      await seed(t.exec);
      const { host } = hostWith(t);
      const s = await scrapeHost(host);
      expect(s.family('gradient_builds_total')!.type).toBe('COUNTER');
      expect(s.value('gradient_builds_total', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBe(5);
      expect(s.value('gradient_builds_total', { org: 'org1', project: 'nixpkgs', status: 'failed_permanent' })).toBe(1);
      expect(s.value('gradient_builds_total', { org: 'org2', project: 'web', status: 'completed' })).toBe(3);
      expect(s.value('gradient_builds_total', { org: 'org3', project: 'infra', status: 'failed_timeout' })).toBe(1);
      expect(s.value('gradient_builds_in_state', { org: 'org1', project: 'nixpkgs', status: 'building' })).toBe(2);
      expect(s.value('gradient_builds_in_state', { org: 'org2', project: 'web', status: 'queued' })).toBe(1);
      // Non-terminal statuses never reach the counter, terminal ones never the gauge.
      expect(s.value('gradient_builds_total', { org: 'org1', project: 'nixpkgs', status: 'building' })).toBeUndefined();
      expect(s.value('gradient_builds_in_state', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBeUndefined();
      expect(s.value('gradient_evaluations_total', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBe(2);
      expect(s.value('gradient_evaluations_total', { org: 'org1', project: 'tools', status: 'failed' })).toBe(1);
      expect(s.value('gradient_evaluations_in_state', { org: 'org1', project: 'nixpkgs', status: 'evaluating_flake' })).toBe(1);
      expect(s.value('gradient_evaluations_in_state', { org: 'org3', project: 'infra', status: 'queued' })).toBe(1);
      expect(s.value('gradient_cache_nar_bytes_sent_total', { cache: 'main' })).toBe(136000);
      expect(s.value('gradient_cache_nar_requests_total', { cache: 'main' })).toBe(19);
      expect(s.value('gradient_cache_nar_bytes_sent_total', { cache: 'nixpkgs' })).toBe(5000);
      expect(s.value('gradient_cache_nar_bytes_sent_per_second', { cache: 'main', window: '1m' })).toBe(100);
      expect(s.value('gradient_cache_nar_bytes_sent_per_second', { cache: 'main', window: '5m' })).toBe(120);
      expect(s.value('gradient_cache_nar_requests_per_second', { cache: 'main', window: '5m' })).toBe(0.03);
      expect(s.value('gradient_cache_nar_bytes_sent_per_second', { cache: 'nixpkgs', window: '5m' })).toBe(0);
      expect(s.value('gradient_cache_size_bytes', { cache: 'main' })).toBe(8200);
      expect(s.value('gradient_cache_packages', { cache: 'main' })).toBe(2);
      expect(s.value('gradient_cache_storage_growth_bytes_per_second', { cache: 'main' })).toBe(2);
      expect(s.value('gradient_cache_packages', { cache: 'nixpkgs' })).toBe(1);
      expect(s.value('gradient_builds_sql_query_errors_total', { query: 'builds', reason: 'error' })).toBe(0);
      expect(s.seriesCount('metricore_plugin_errors_total')).toBe(0);
    });

    it('adds only the increase at the next scrape, and reuses results within minIntervalMs', async (ctx) => {
      const t = target();
      if (t === undefined) return ctx.skip();
      await seed(t.exec);
      const fresh = hostWith(t).host;
      const cached = hostWith(t, { minIntervalMs: 3_600_000 }).host;
      const labels = { org: 'org1', project: 'nixpkgs', status: 'completed' };
      expect((await scrapeHost(fresh)).value('gradient_builds_total', labels)).toBe(5);
      expect((await scrapeHost(cached)).value('gradient_builds_total', labels)).toBe(5);
      await addBuilds(t.exec, 4);
      expect((await scrapeHost(fresh)).value('gradient_builds_total', labels)).toBe(9);
      // Within the interval the database is not asked again: the value from the first run stays.
      expect((await scrapeHost(cached)).value('gradient_builds_total', labels)).toBe(5);
      // Rows deleted (retention) lower the baseline, never the counter.
      await t.exec(`DELETE FROM build WHERE id IN (SELECT id FROM build WHERE status = 'completed' ORDER BY id LIMIT 6)`);
      expect((await scrapeHost(fresh)).value('gradient_builds_total', labels)).toBe(9);
      await addBuilds(t.exec, 2);
      expect((await scrapeHost(fresh)).value('gradient_builds_total', labels)).toBe(11);
    });

    it('a broken query loses only its own families, counted and logged once per streak', async (ctx) => {
      const t = target();
      if (t === undefined) return ctx.skip();
      await seed(t.exec);
      const { host, warnings } = hostWith(t, { queries: { cacheTraffic: 'SELECT no_such_column FROM cache' } });
      await host.listen({ port: 0 });
      for (let i = 0; i < 3; i++) await scrapeHost(host);
      const s = await scrapeHost(host);
      expect(s.seriesCount('gradient_cache_nar_bytes_sent_total')).toBe(0);
      expect(s.seriesCount('gradient_cache_nar_requests_total')).toBe(0);
      expect(s.value('gradient_builds_total', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBe(5);
      expect(s.value('gradient_cache_size_bytes', { cache: 'main' })).toBe(8200);
      expect(s.value('gradient_builds_sql_query_errors_total', { query: 'cacheTraffic', reason: 'error' })).toBe(4);
      expect(s.value('gradient_builds_sql_query_errors_total', { query: 'builds', reason: 'error' })).toBe(0);
      expect(warnings.filter((w) => w.includes('"cacheTraffic" failed'))).toHaveLength(1);
      expect(warnings[0]).toContain('no_such_column');
    });

    it('a query slower than the statement timeout loses its families as a timeout; the rest stays', async (ctx) => {
      const t = target();
      if (t === undefined) return ctx.skip();
      await seed(t.exec);
      const slow = `SELECT 'main' AS cache, 1 AS stored_bytes, 1 AS packages, 0 AS growth_bytes_per_second FROM pg_sleep(1)`;
      const { host, warnings } = hostWith(t, { statementTimeoutMs: 100, queries: { cacheStorage: slow } });
      const s = await scrapeHost(host);
      expect(s.seriesCount('gradient_cache_size_bytes')).toBe(0);
      expect(s.seriesCount('gradient_cache_packages')).toBe(0);
      expect(s.value('gradient_builds_sql_query_errors_total', { query: 'cacheStorage', reason: 'timeout' })).toBe(1);
      expect(s.value('gradient_builds_total', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBe(5);
      expect(warnings.some((w) => w.includes('"cacheStorage" failed (timeout)'))).toBe(true);
    });

    it('an overridden query replaces the default, a disabled one defines nothing it would feed', async (ctx) => {
      const t = target();
      if (t === undefined) return ctx.skip();
      await seed(t.exec);
      const { host } = hostWith(t, {
        queries: {
          builds: `SELECT 'all' AS org, 'all' AS project, status, count(*) AS count FROM build GROUP BY status`,
          evaluations: false,
        },
      });
      const s = await scrapeHost(host);
      expect(s.value('gradient_builds_total', { org: 'all', project: 'all', status: 'completed' })).toBe(8);
      expect(s.seriesCount('gradient_evaluations_total')).toBe(0);
      expect(s.value('gradient_builds_sql_query_errors_total', { query: 'evaluations', reason: 'error' })).toBeUndefined();
    });

    it('owns the counts of its enabled queries: events then add only durations, never a second count', async (ctx) => {
      const t = target();
      if (t === undefined) return ctx.skip();
      await seed(t.exec);
      const { host } = hostWith(t, { queries: { evaluations: false } });
      const ev = getHooks(host);
      ev.buildFinished.call({ org: 'org1', project: 'nixpkgs', status: 'completed', durationSeconds: 30 });
      ev.evaluationFinished.call({ org: 'org1', project: 'nixpkgs', status: 'completed', durationSeconds: 30 });
      expect(ev.cacheServed.isUsed()).toBe(false);
      const s = await scrapeHost(host);
      expect(s.value('gradient_builds_total', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBe(5);
      expect(s.histogram('gradient_build_duration_seconds', { org: 'org1', project: 'nixpkgs', status: 'completed' })!.count).toBe(1);
      // The evaluations query is off, so the event counts them.
      expect(s.value('gradient_evaluations_total', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBe(1);
    });

    it('folds tenant labels through the host label policy without losing counts', async (ctx) => {
      const t = target();
      if (t === undefined) return ctx.skip();
      await seed(t.exec);
      const { host } = hostWith(t, {}, { labelPolicy: { org: { allow: ['org1'] }, project: { drop: true }, cache: { allow: ['main'] } } });
      const s = await scrapeHost(host);
      expect(s.value('gradient_builds_total', { org: 'org1', status: 'completed' })).toBe(5);
      // org2 (3) + org3 (0) completed builds fold into __other__; in-state gauges sum too.
      expect(s.value('gradient_builds_total', { org: '__other__', status: 'completed' })).toBe(3);
      expect(s.value('gradient_builds_in_state', { org: '__other__', status: 'queued' })).toBe(1);
      expect(s.value('gradient_evaluations_total', { org: 'org1', status: 'completed' })).toBe(2);
      expect(s.value('gradient_evaluations_total', { org: '__other__', status: 'completed' })).toBe(1);
      expect(s.value('gradient_cache_size_bytes', { cache: '__other__' })).toBe(500);
      expect(s.seriesCount('gradient_cache_size_bytes')).toBe(2);
    });
  });
}
