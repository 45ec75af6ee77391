import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MetricsHost } from '@metricore/framework';
import { createTestHost, scrapeHost, type Scrape } from '@metricore/framework/testing';

/** Sum of a counter family over all its series. */
function counterTotal(scrape: Scrape, name: string): number {
  return (scrape.family(name)?.metrics ?? []).reduce((sum, m) => sum + Number(m.value), 0);
}

function folded(scrape: Scrape, family: string, label: string, reason: string): number {
  return scrape.value('metricore_label_values_folded_total', { family, label, reason }) ?? 0;
}

describe('label policy', () => {
  it('folds values outside an allowlist into __other__ without losing counts', async () => {
    const host = createTestHost({ labelPolicy: { cache: { allow: ['main', 'staging'] } } });
    const hits = host.counter({ name: 'cache_hits_total', help: 'Hits.', labelNames: ['cache'] });
    hits.inc({ cache: 'main' }, 3);
    hits.inc({ cache: 'staging' });
    for (let i = 0; i < 50; i++) hits.inc({ cache: `attacker-${i}` }, 2);
    const scrape = await scrapeHost(host);
    expect(scrape.value('cache_hits_total', { cache: 'main' })).toBe(3);
    expect(scrape.value('cache_hits_total', { cache: 'staging' })).toBe(1);
    expect(scrape.value('cache_hits_total', { cache: '__other__' })).toBe(100);
    expect(scrape.seriesCount('cache_hits_total')).toBe(3);
    expect(folded(scrape, 'cache_hits_total', 'cache', 'allowlist')).toBe(50);
    await host.close();
  });

  it('lets a family override the host rule and drop a label', async () => {
    const host = createTestHost({ labelPolicy: { org: { allow: ['acme'] } } });
    const builds = host.histogram({
      name: 'build_duration_seconds',
      help: 'Builds.',
      labelNames: ['org', 'project'],
      buckets: [1, 60, 3600],
      labelPolicy: { org: { allow: ['acme', 'globex'] }, project: { drop: true } },
    });
    builds.observe({ org: 'globex', project: 'a' }, 30);
    builds.observe({ org: 'globex', project: 'b' }, 90);
    builds.observe({ org: 'initech', project: 'c' }, 5);
    const scrape = await scrapeHost(host);
    expect(scrape.histogram('build_duration_seconds', { org: 'globex' })).toEqual({ count: 2, sum: 120, buckets: { '1': 0, '60': 1, '3600': 2, '+Inf': 2 } });
    expect(scrape.histogram('build_duration_seconds', { org: '__other__' })?.count).toBe(1);
    expect(scrape.text).not.toContain('project=');
    await host.close();
  });

  it('cuts values longer than maxLength', async () => {
    const host = createTestHost({ labelPolicy: { branch: { maxLength: 8 } } });
    const evals = host.counter({ name: 'evaluations_total', help: 'Evaluations.', labelNames: ['branch'] });
    evals.inc({ branch: 'feature/very-long-branch-name' });
    evals.inc({ branch: 'feature/other' });
    evals.inc({ branch: 'main' });
    const scrape = await scrapeHost(host);
    expect(scrape.value('evaluations_total', { branch: 'feature/' })).toBe(2);
    expect(scrape.value('evaluations_total', { branch: 'main' })).toBe(1);
    expect(folded(scrape, 'evaluations_total', 'branch', 'length')).toBe(2);
    await host.close();
  });

  it('keeps the top N of a Zipf stream and folds the long tail', async () => {
    const host = createTestHost({ labelPolicy: { org: { topN: 5, rerankIntervalMs: 0 } } });
    const requests = host.counter({ name: 'org_requests_total', help: 'Requests.', labelNames: ['org'] });
    // Zipf(1) over 2,000 orgs, from a fixed seed; the tail arrives first so it takes the free places.
    const weights = Array.from({ length: 2000 }, (_, i) => 1 / (i + 1));
    const total = weights.reduce((a, b) => a + b);
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const pick = () => {
      let u = random() * total;
      for (let i = 0; i < weights.length; i++) if ((u -= weights[i]) <= 0) return i + 1;
      return weights.length;
    };
    for (let i = 0; i < 5; i++) requests.inc({ org: `org${1995 + i}` });
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5000; i++) requests.inc({ org: `org${pick()}` });
      host.maintain();
    }
    const before = await scrapeHost(host);
    for (let i = 0; i < 100; i++) requests.inc({ org: 'org1' });
    const after = await scrapeHost(host);
    const orgs = after.family('org_requests_total')!.metrics.map((m) => m.labels!.org).sort();
    expect(orgs).toEqual(expect.arrayContaining(['org1', 'org2', 'org3', '__other__']));
    expect(orgs.length).toBeLessThanOrEqual(5 + 5 + 1); // admitted now, demoted earlier, __other__
    expect(after.value('org_requests_total', { org: 'org1' })! - before.value('org_requests_total', { org: 'org1' })!).toBe(100);
    expect(counterTotal(after, 'org_requests_total')).toBe(5 + 4 * 5000 + 100);
    await host.close();
  });

  it('does not flap on a stable stream (hysteresis)', async () => {
    const host = createTestHost({ labelPolicy: { org: { topN: 2, rerankIntervalMs: 0, hysteresis: 0.25 } } });
    const jobs = host.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['org'] });
    const seriesPerRound: string[][] = [];
    for (let round = 0; round < 10; round++) {
      // a and b lead; c trails b by 10%, inside the 25% hysteresis.
      for (const [org, n] of [['a', 100], ['b', 90], ['c', 81]] as const) for (let i = 0; i < n; i++) jobs.inc({ org });
      host.maintain();
      const scrape = await scrapeHost(host);
      seriesPerRound.push(scrape.family('jobs_total')!.metrics.map((m) => m.labels!.org).sort());
    }
    expect(new Set(seriesPerRound.map((s) => s.join(','))).size).toBe(1);
    expect(seriesPerRound[0]).toEqual(['__other__', 'a', 'b']);
    await host.close();
  });

  it('caps a family at maxSeries with one __overflow__ series', async () => {
    const host = createTestHost();
    const hits = host.counter({ name: 'route_hits_total', help: 'Hits.', labelNames: ['path', 'method'], maxSeries: 10 });
    for (let i = 0; i < 1000; i++) hits.inc({ path: `/p/${i}`, method: 'GET' });
    const scrape = await scrapeHost(host);
    expect(scrape.seriesCount('route_hits_total')).toBe(11);
    expect(scrape.value('route_hits_total', { path: '__overflow__', method: '__overflow__' })).toBe(990);
    expect(counterTotal(scrape, 'route_hits_total')).toBe(1000);
    expect(folded(scrape, 'route_hits_total', '*', 'overflow')).toBe(990);
    expect(scrape.value('metricore_series', { family: 'route_hits_total' })).toBe(11);
    await host.close();
  });

  it('evicts series idle for the TTL, and a held child revives its series', async () => {
    const host = createTestHost();
    const slots = host.gauge({ name: 'worker_slots', help: 'Slots.', labelNames: ['worker'], ttl: 30 });
    const held = slots.labels({ worker: 'w1' });
    held.set(4);
    slots.set({ worker: 'w2' }, 2);
    host.maintain(); // both touched: their idle clock starts now
    await new Promise((r) => setTimeout(r, 60));
    slots.set({ worker: 'w2' }, 3); // w2 stays busy
    host.maintain();
    await new Promise((r) => setTimeout(r, 60));
    host.maintain();
    let scrape = await scrapeHost(host);
    expect(scrape.seriesCount('worker_slots')).toBe(0);
    expect(scrape.value('metricore_series_evicted_total', { family: 'worker_slots' })).toBe(2);
    held.set(7); // the application kept the child: its series comes back
    slots.set({ worker: 'w3' }, 1); // a new label set may reuse an evicted slot
    scrape = await scrapeHost(host);
    expect(scrape.value('worker_slots', { worker: 'w1' })).toBe(7);
    expect(scrape.value('worker_slots', { worker: 'w3' })).toBe(1);
    expect(scrape.seriesCount('worker_slots')).toBe(2);
    await host.close();
  });

  it('loses nothing while two worker threads record through top-N', async () => {
    const registry = `policy-${randomUUID()}`;
    const host = new MetricsHost({ registry, labelPolicy: { org: { topN: 3, rerankIntervalMs: 0 } }, logger: { warn() {} } });
    const bytes = host.counter({ name: 'transfer_bytes_total', help: 'Bytes moved.', labelNames: ['org', 'cache'], unit: 'bytes' });
    const samples = 30_000;
    const workers = [1, 2].map(
      (seed) => new Worker(new URL('./fixtures/policy-worker.mjs', import.meta.url), { workerData: { registry, seed, samples } }),
    );
    await Promise.all(workers.map((w) => once(w, 'exit')));
    host.maintain();
    const scrape = await scrapeHost(host);
    expect(counterTotal(scrape, 'transfer_bytes_total')).toBe(2 * samples * 2);
    expect(scrape.seriesCount('transfer_bytes_total')).toBeLessThanOrEqual(3 + 4 + 1);
    expect(bytes.name).toBe('transfer_bytes_total');
    await host.close();
  });

  it('reports policy configuration errors naming the label and option', () => {
    const make = (labelPolicy: unknown) => () => createTestHost({ labelPolicy: labelPolicy as never });
    expect(make({ org: { topN: 0 } })).toThrow(/MetricsHost label "org": option "topN"/);
    expect(make({ org: { topN: 2.5 } })).toThrow(/label "org": option "topN"/);
    expect(make({ cache: { allow: 'main' } })).toThrow(/label "cache": option "allow"/);
    expect(make({ org: { top: 3 } })).toThrow(/label "org": .*top/);
    expect(make({ org: { drop: true, allow: ['a'] } })).toThrow(/option "drop" removes the label/);
    const host = createTestHost();
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as Error & { code: string };
      }
      throw new Error('expected a throw');
    };
    const ttl = err(() => host.counter({ name: 'a_total', help: 'a', ttl: 'soon' }));
    expect(ttl).toBeInstanceOf(TypeError);
    expect(ttl.code).toBe('METRICORE_INVALID_OPTION');
    expect(ttl.message).toBe('metric "a_total": option "ttl": expected a positive duration in ms or a string like "15m", got "soon"');
    expect(err(() => host.counter({ name: 'b_total', help: 'b', maxSeries: 0 })).message).toBe(
      'metric "b_total": option "maxSeries": expected a positive integer, got 0',
    );
    expect(err(() => host.counter({ name: 'c_total', help: 'c', labelNames: ['org'], labelPolicy: { team: { drop: true } } })).code).toBe(
      'METRICORE_UNKNOWN_LABEL',
    );
    expect(err(() => host.gauge({ name: 'd', help: 'd', labelNames: ['org'], labelPolicy: { org: { topN: 3 } } })).message).toMatch(
      /metric "d" label "org": option "topN" ranks recorded activity/,
    );
  });

  it('counts and drops label values that are not strings or numbers on observe(labels, v)', async () => {
    const host = createTestHost({ labelPolicy: { org: { topN: 2 } } });
    const h = host.histogram({ name: 'q_seconds', help: 'q', labelNames: ['org'] });
    h.observe({ org: { evil: true } as never }, 1);
    h.observe({ org: null as never }, 1);
    h.observe({ org: 42 }, 1);
    const scrape = await scrapeHost(host);
    expect(scrape.value('metricore_rejected_samples_total', { metric: 'q_seconds', reason: 'invalid_labels' })).toBe(2);
    expect(scrape.histogram('q_seconds', { org: '42' })?.count).toBe(1);
    expect(() => h.labels({ org: undefined as never })).toThrow(/label "org" got undefined/);
  });
});
