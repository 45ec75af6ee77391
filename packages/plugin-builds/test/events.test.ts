// The event path: the plugin's own hooks, exact exposition values, the prefix, the label policy.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, MetricsHost } from '@metricore/framework';
import { createTestHost, scrapeHost } from '@metricore/framework/testing';
import buildsMetrics, { PLUGIN_NAME, durationBuckets, getHooks } from '../src/index.js';

const hosts: MetricsHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});
function host(options: Parameters<typeof buildsMetrics>[0] = {}, extra: ConstructorParameters<typeof MetricsHost>[0] = {}) {
  const h = createTestHost({ ...extra, plugins: [buildsMetrics(options)] });
  hosts.push(h);
  return h;
}

describe('event hooks', () => {
  it('are per host, the same object for every caller, and unused where the plugin is absent', () => {
    const bare = createTestHost();
    hosts.push(bare);
    const withPlugin = host();
    expect(getHooks(bare).buildFinished.isUsed()).toBe(false);
    expect(getHooks(withPlugin).buildFinished.isUsed()).toBe(true);
    expect(buildsMetrics.getHooks(withPlugin)).toBe(getHooks(withPlugin));
    expect(getHooks(withPlugin).buildFinished.taps.map((t) => t.name)).toEqual([PLUGIN_NAME]);
    expect(Object.isFrozen(getHooks(withPlugin))).toBe(true);
  });

  it('record build and evaluation outcomes, durations and waits with exact values', async () => {
    const h = host();
    const ev = getHooks(h);
    ev.buildFinished.call({ org: 'org1', project: 'nixpkgs', status: 'completed', durationSeconds: 3, dependencyWaitSeconds: 0.25, dispatchWaitSeconds: 7 });
    ev.buildFinished.call({ org: 'org1', project: 'nixpkgs', status: 'completed', durationSeconds: 3000 });
    ev.buildFinished.call({ org: 'org1', project: 'nixpkgs', status: 'failed_timeout', durationSeconds: 14400 });
    ev.buildFinished.call({ org: 'org2', project: 'web', status: 'aborted' });
    ev.evaluationFinished.call({ org: 'org1', project: 'nixpkgs', status: 'failed', durationSeconds: 42 });
    ev.buildReady.call({ org: 'org2', waitSeconds: 1 });
    ev.buildDispatched.call({ org: 'org2', waitSeconds: 100 });
    const s = await scrapeHost(h);

    expect(s.value('builds_total', { org: 'org1', project: 'nixpkgs', status: 'completed' })).toBe(2);
    expect(s.value('builds_total', { org: 'org2', project: 'web', status: 'aborted' })).toBe(1);
    const done = s.histogram('build_duration_seconds', { org: 'org1', project: 'nixpkgs', status: 'completed' })!;
    expect(done.count).toBe(2);
    expect(done.sum).toBe(3003);
    expect(done.buckets['2']).toBe(0);
    expect(done.buckets['4']).toBe(1);
    expect(done.buckets['2048']).toBe(1);
    expect(done.buckets['3600']).toBe(2);
    const timedOut = s.histogram('build_duration_seconds', { org: 'org1', project: 'nixpkgs', status: 'failed_timeout' })!;
    expect(timedOut.buckets['3600']).toBe(0);
    expect(timedOut.buckets['14400']).toBe(1);
    // An event without a duration is counted, not observed.
    expect(s.histogram('build_duration_seconds', { org: 'org2', project: 'web', status: 'aborted' })).toBeUndefined();
    expect(Object.keys(done.buckets)).toHaveLength(durationBuckets().length + 1);

    expect(s.value('evaluations_total', { org: 'org1', project: 'nixpkgs', status: 'failed' })).toBe(1);
    expect(s.histogram('evaluation_duration_seconds', { org: 'org1', project: 'nixpkgs', status: 'failed' })!.sum).toBe(42);
    expect(s.histogram('build_dependency_wait_seconds', { org: 'org1' })!.sum).toBe(0.25);
    expect(s.histogram('build_dependency_wait_seconds', { org: 'org2' })!.buckets['1']).toBe(1);
    expect(s.histogram('build_dispatch_wait_seconds', { org: 'org1' })!.buckets['8']).toBe(1);
    expect(s.histogram('build_dispatch_wait_seconds', { org: 'org2' })!.sum).toBe(100);
  });

  it('keep in-state gauges, the scheduler and cache counters', async () => {
    const h = host();
    const ev = getHooks(h);
    const t = { org: 'org1', project: 'nixpkgs' };
    ev.buildStateChanged.call({ ...t, to: 'queued' });
    ev.buildStateChanged.call({ ...t, to: 'queued' });
    ev.buildStateChanged.call({ ...t, from: 'queued', to: 'building' });
    ev.buildStateChanged.call({ ...t, from: 'building', to: 'completed' });
    ev.buildStateChanged.call({ ...t, from: 'queued', to: 'building' });
    ev.evaluationStateChanged.call({ ...t, to: 'fetching' });
    ev.schedulerChanged.call({ pending: 12, active: 3, workers: 2 });
    ev.schedulerChanged.call({ pending: 11 });
    ev.cacheServed.call({ cache: 'main', bytes: 1000 });
    ev.cacheServed.call({ cache: 'main', bytes: 500, nars: 4 });
    ev.cacheStored.call({ cache: 'main', bytes: 2048, packages: 2 });
    const s = await scrapeHost(h);
    expect(s.value('builds_in_state', { ...t, status: 'queued' })).toBe(0);
    expect(s.value('builds_in_state', { ...t, status: 'building' })).toBe(1);
    expect(s.value('builds_in_state', { ...t, status: 'completed' })).toBeUndefined();
    expect(s.value('evaluations_in_state', { ...t, status: 'fetching' })).toBe(1);
    expect(s.value('jobs_pending')).toBe(11);
    expect(s.value('jobs_active')).toBe(3);
    expect(s.value('workers_connected')).toBe(2);
    expect(s.value('cache_nar_bytes_sent_total', { cache: 'main' })).toBe(1500);
    expect(s.value('cache_nar_requests_total', { cache: 'main' })).toBe(5);
    expect(s.value('cache_stored_bytes_total', { cache: 'main' })).toBe(2048);
    expect(s.value('cache_stored_packages_total', { cache: 'main' })).toBe(2);
  });

  it('put the prefix before every name, so the upstream names come out exactly', async () => {
    const h = host({ prefix: 'gradient_' });
    const ev = getHooks(h);
    ev.buildFinished.call({ org: 'o', project: 'p', status: 'completed', durationSeconds: 1 });
    ev.evaluationFinished.call({ org: 'o', project: 'p', status: 'completed' });
    ev.schedulerChanged.call({ pending: 1, workers: 4 });
    ev.cacheServed.call({ cache: 'main', bytes: 10 });
    const s = await scrapeHost(h);
    for (const name of ['gradient_builds_total', 'gradient_evaluations_total', 'gradient_jobs_pending', 'gradient_workers_connected', 'gradient_cache_nar_bytes_sent_total', 'gradient_build_duration_seconds']) {
      expect(s.family(name), name).toBeDefined();
    }
    expect(s.family('gradient_builds_total')!.type).toBe('COUNTER');
    expect(s.value('gradient_workers_connected')).toBe(4);
    expect(s.family('builds_total')).toBeUndefined();
  });
});

describe('tenant labels under the host label policy', () => {
  it('an allowlist folds other orgs and caches into __other__ without losing counts', async () => {
    const h = host({}, { labelPolicy: { org: { allow: ['org1'] }, project: { drop: true }, cache: { allow: ['main'] } } });
    const ev = getHooks(h);
    for (const org of ['org1', 'org2', 'org3', 'org3']) ev.buildFinished.call({ org, project: `${org}-p`, status: 'completed', durationSeconds: 10 });
    for (const org of ['org2', 'org3']) ev.buildStateChanged.call({ org, project: 'x', to: 'building' });
    ev.cacheServed.call({ cache: 'main', bytes: 1 });
    ev.cacheServed.call({ cache: 'tenant-a', bytes: 2 });
    ev.cacheServed.call({ cache: 'tenant-b', bytes: 3 });
    const s = await scrapeHost(h);
    expect(s.value('builds_total', { org: 'org1', status: 'completed' })).toBe(1);
    expect(s.value('builds_total', { org: '__other__', status: 'completed' })).toBe(3);
    expect(s.histogram('build_duration_seconds', { org: '__other__', status: 'completed' })!.count).toBe(3);
    expect(s.value('builds_in_state', { org: '__other__', status: 'building' })).toBe(2);
    expect(s.value('cache_nar_bytes_sent_total', { cache: '__other__' })).toBe(5);
    expect(s.seriesCount('cache_nar_bytes_sent_total')).toBe(2);
  });

  it('top-N keeps the busiest orgs on counters and histograms; gauges fall back to the sum (or gaugeLabelPolicy)', async () => {
    const policy = { org: { topN: 2, rerankIntervalMs: 1 } };
    const h = host({}, { labelPolicy: policy });
    const ev = getHooks(h);
    const orgs = ['big', 'big', 'big', 'big', 'mid', 'mid', 'mid', 'tiny1', 'tiny2', 'tiny3'];
    for (const org of orgs) ev.buildFinished.call({ org, project: 'p', status: 'completed', durationSeconds: 5 });
    ev.buildStateChanged.call({ org: 'big', project: 'p', to: 'building' });
    ev.buildStateChanged.call({ org: 'tiny1', project: 'p', to: 'building' });
    h.maintain();
    const s = await scrapeHost(h);
    const perOrg = s.family('builds_total')!.metrics;
    // Whatever the ranking admitted, the counts add up and at most 2 orgs plus __other__ have series.
    expect(perOrg.reduce((sum, m) => sum + Number(m.value), 0)).toBe(orgs.length);
    expect(new Set(perOrg.map((m) => m.labels!.org)).size).toBeLessThanOrEqual(3);
    expect(perOrg.some((m) => m.labels!.org === 'big')).toBe(true);
    // Gauges cannot rank by activity: the org label is aggregated away for them.
    expect(s.value('builds_in_state', { project: 'p', status: 'building' })).toBe(2);

    const h2 = host({ gaugeLabelPolicy: { org: { allow: ['big'] } } }, { labelPolicy: policy });
    getHooks(h2).buildStateChanged.call({ org: 'big', project: 'p', to: 'building' });
    getHooks(h2).buildStateChanged.call({ org: 'tiny1', project: 'p', to: 'building' });
    const s2 = await scrapeHost(h2);
    expect(s2.value('builds_in_state', { org: 'big', project: 'p', status: 'building' })).toBe(1);
    expect(s2.value('builds_in_state', { org: '__other__', project: 'p', status: 'building' })).toBe(1);
  });
});

describe('options', () => {
  it('are checked in the factory with a coded error naming the option', () => {
    expect(() => buildsMetrics({ prefix: '9bad' })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }));
    expect(() => buildsMetrics({ prefix: '9bad' })).toThrow(/@metricore\/plugin-builds: option "prefix"/);
    expect(() => buildsMetrics({ sql: { client: {} as never } })).toThrow(/option "sql.client": expected a client with query/);
    expect(() => buildsMetrics({ sql: { client: { query: async () => ({ rows: [] }) }, queries: { bulids: 'x' } as never } })).toThrow(/option "sql.queries": Unrecognized key/);
    expect(() => buildsMetrics({ sql: { client: { query: async () => ({ rows: [] }) }, statementTimeoutMs: 0 } })).toThrow(/option "sql.statementTimeoutMs"/);
  });
});
