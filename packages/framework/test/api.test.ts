/**
 * api: counter, gauge and histogram semantics as they appear in the scrape, label binding and
 * caching, timers, bucket helpers and prom-client-shaped overloads.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUCKETS, MetricsHost, exponentialBuckets, linearBuckets } from '@metricore/framework';
import { createTestHost, scrapeHost } from '@metricore/framework/testing';
import { closedAfterEach, sleep } from './helpers.js';

const host = closedAfterEach();

describe('counter', () => {
  it('adds increments, with and without labels, in every prom-client overload', async () => {
    const h = host();
    const plain = h.counter({ name: 'jobs_total', help: 'Jobs.' });
    plain.inc();
    plain.inc(2.5);
    const byOrg = h.counter({ name: 'org_jobs_total', help: 'Jobs by org.', labelNames: ['org', 'kind'] });
    byOrg.inc({ org: 'a', kind: 'x' });
    byOrg.inc({ org: 'a', kind: 'x' }, 4);
    byOrg.labels('b', 'y').inc(10);
    byOrg.labels({ org: 'b', kind: 'y' }).inc();
    byOrg.inc({ org: 'c', kind: 'z' }, 0);
    const scrape = await scrapeHost(h);
    expect(scrape.value('jobs_total')).toBe(3.5);
    expect(scrape.value('org_jobs_total', { org: 'a', kind: 'x' })).toBe(5);
    expect(scrape.value('org_jobs_total', { org: 'b', kind: 'y' })).toBe(11);
    expect(scrape.value('org_jobs_total', { org: 'c', kind: 'z' })).toBe(0);
    expect(scrape.seriesCount('org_jobs_total')).toBe(3);
    expect(scrape.family('jobs_total')?.type).toBe('COUNTER');
  });

  it('stringifies numeric label values, so 200 and "200" are one series', async () => {
    const h = host();
    const c = h.counter({ name: 'http_responses_total', help: 'Responses.', labelNames: ['code'] });
    c.inc({ code: 200 });
    c.inc({ code: '200' }, 2);
    c.labels(200).inc(3);
    const scrape = await scrapeHost(h);
    expect(scrape.seriesCount('http_responses_total')).toBe(1);
    expect(scrape.value('http_responses_total', { code: '200' })).toBe(6);
  });
});

describe('gauge', () => {
  it('sets, adds and subtracts; the last set wins', async () => {
    const h = host();
    const g = h.gauge({ name: 'queue_depth', help: 'Queue.' });
    g.set(10);
    g.inc();
    g.inc(4);
    g.dec();
    g.dec(0.5);
    const byQueue = h.gauge({ name: 'queue_by_name', help: 'Queue by name.', labelNames: ['queue'] });
    byQueue.set({ queue: 'q1' }, 7);
    byQueue.inc({ queue: 'q1' }, 3);
    byQueue.dec({ queue: 'q1' }, 1);
    byQueue.dec({ queue: 'q2' });
    byQueue.labels('q3').set(-2.25);
    byQueue.labels('q3').set(8);
    const scrape = await scrapeHost(h);
    expect(scrape.value('queue_depth')).toBe(13.5);
    expect(scrape.value('queue_by_name', { queue: 'q1' })).toBe(9);
    expect(scrape.value('queue_by_name', { queue: 'q2' })).toBe(-1);
    expect(scrape.value('queue_by_name', { queue: 'q3' })).toBe(8);
    expect(scrape.family('queue_depth')?.type).toBe('GAUGE');
  });

  it('setToCurrentTime writes Unix seconds', async () => {
    const h = host();
    const g = h.gauge({ name: 'last_seen_seconds', help: 'Last seen.', unit: 'seconds' });
    const before = Date.now() / 1000;
    g.setToCurrentTime();
    const after = Date.now() / 1000;
    const v = (await scrapeHost(h)).value('last_seen_seconds')!;
    expect(v).toBeGreaterThanOrEqual(before);
    expect(v).toBeLessThanOrEqual(after);
  });

  it('startTimer sets the elapsed seconds it returns, with labels merged at the end', async () => {
    const h = host();
    const g = h.gauge({ name: 'step_seconds', help: 'Step.', labelNames: ['step', 'result'] });
    const end = g.startTimer({ step: 'fetch' });
    await sleep(15);
    const seconds = end({ result: 'ok' });
    expect(seconds).toBeGreaterThanOrEqual(0.014);
    expect((await scrapeHost(h)).value('step_seconds', { step: 'fetch', result: 'ok' })).toBe(seconds);
  });
});

describe('histogram', () => {
  it('places observations in cumulative buckets with exact count and sum', async () => {
    const h = host();
    const hist = h.histogram({ name: 'size_bytes', help: 'Sizes.', buckets: [1, 10, 100], unit: 'bytes' });
    for (const v of [0.5, 1, 1.0000001, 10, 50, 100, 1000, -3]) hist.observe(v);
    const s = (await scrapeHost(h)).histogram('size_bytes')!;
    // le is inclusive: 1 falls into le="1", 100 into le="100"; -3 into the first bucket.
    expect(s.buckets).toEqual({ '1': 3, '10': 5, '100': 7, '+Inf': 8 });
    expect(s.count).toBe(8);
    expect(s.sum).toBe(0.5 + 1 + 1.0000001 + 10 + 50 + 100 + 1000 - 3);
  });

  it('uses DEFAULT_BUCKETS (prom-client defaults) when no buckets are given', async () => {
    expect(DEFAULT_BUCKETS).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    expect(Object.isFrozen(DEFAULT_BUCKETS)).toBe(true);
    const h = host();
    const hist = h.histogram({ name: 'req_seconds', help: 'Requests.', labelNames: ['route'] });
    expect(hist.buckets).toEqual(DEFAULT_BUCKETS);
    hist.observe({ route: '/a' }, 0.3);
    hist.labels('/a').observe(7);
    const scrape = await scrapeHost(h);
    const les = [...scrape.text.matchAll(/^req_seconds_bucket\{route="\/a",le="([^"]+)"\}/gm)].map((m) => m[1]);
    expect(les).toEqual([...DEFAULT_BUCKETS.map(String), '+Inf']);
    const s = scrape.histogram('req_seconds', { route: '/a' })!;
    expect(s.buckets['0.25']).toBe(0);
    expect(s.buckets['0.5']).toBe(1);
    expect(s.buckets['5']).toBe(1);
    expect(s.buckets['10']).toBe(2);
    expect(s.count).toBe(2);
    expect(s.sum).toBe(7.3);
  });

  it('startTimer observes the seconds it returns (histogram and bound child)', async () => {
    const h = host();
    const hist = h.histogram({ name: 'op_seconds', help: 'Ops.', labelNames: ['op', 'ok'] });
    const end = hist.startTimer({ op: 'read' });
    await sleep(10);
    const s1 = end({ ok: 'true' });
    const child = hist.labels('write', 'false');
    const endChild = child.startTimer();
    await sleep(5);
    const s2 = endChild();
    expect(s1).toBeGreaterThanOrEqual(0.009);
    expect(s2).toBeGreaterThanOrEqual(0.004);
    const scrape = await scrapeHost(h);
    expect(scrape.histogram('op_seconds', { op: 'read', ok: 'true' })).toMatchObject({ count: 1, sum: s1 });
    expect(scrape.histogram('op_seconds', { op: 'write', ok: 'false' })).toMatchObject({ count: 1, sum: s2 });
  });
});

describe('labels', () => {
  it('returns the same cached child for the same label set, by object or positionally', () => {
    const h = host();
    const c = h.counter({ name: 'cache_total', help: 'Cache.', labelNames: ['a', 'b'] });
    const byObject = c.labels({ a: 'x', b: 'y' });
    expect(c.labels({ b: 'y', a: 'x' })).toBe(byObject);
    expect(c.labels('x', 'y')).toBe(byObject);
    expect(c.labels('x', 'z')).not.toBe(byObject);
    const hist = h.histogram({ name: 'cache_seconds', help: 'Cache.', labelNames: ['a'] });
    expect(hist.labels('q')).toBe(hist.labels({ a: 'q' }));
    const unlabelled = h.gauge({ name: 'cache_gauge', help: 'Cache.' });
    expect(unlabelled.labels()).toBe(unlabelled.labels());
  });

  it('bound children of the same label set share one native series handle', () => {
    const h = host();
    const c = h.counter({ name: 'handles_total', help: 'Handles.', labelNames: ['a'] });
    expect(c.labels(1).handle).toBe(c.labels('1').handle);
    expect(c.labels('1').handle).not.toBe(c.labels('2').handle);
  });
});

describe('bucket helpers', () => {
  it('exponentialBuckets and linearBuckets match prom-client', () => {
    expect(exponentialBuckets(1, 2, 5)).toEqual([1, 2, 4, 8, 16]);
    expect(exponentialBuckets(0.001, 10, 4)).toEqual([0.001, 0.01, 0.1, 1].map((v, i) => 0.001 * 10 ** i));
    expect(linearBuckets(0, 5, 4)).toEqual([0, 5, 10, 15]);
    expect(linearBuckets(-1, 0.5, 3)).toEqual([-1, -0.5, 0]);
  });

  it('their bounds are accepted as histogram buckets', async () => {
    const h = host();
    const hist = h.histogram({ name: 'exp_seconds', help: 'Exp.', buckets: exponentialBuckets(1, 2, 13) });
    hist.observe(3000);
    hist.observe(5000);
    const s = (await scrapeHost(h)).histogram('exp_seconds')!;
    expect(s.buckets['4096']).toBe(1);
    expect(s.buckets['+Inf']).toBe(2);
  });
});

describe('redefinition', () => {
  it('the same definition returns the same metric object and shares values', async () => {
    const h = host();
    const def = { name: 'shared_total', help: 'Shared.', labelNames: ['a'] };
    const first = h.counter(def);
    const second = h.counter({ ...def, labelNames: ['a'] });
    expect(second).toBe(first);
    first.inc({ a: 'x' });
    second.inc({ a: 'x' }, 2);
    expect((await scrapeHost(h)).value('shared_total', { a: 'x' })).toBe(3);
  });

  it('a second host on the same registry sees the same family and its values', async () => {
    const a = host();
    const b = host({ registry: a.registry });
    const ha = a.histogram({ name: 'two_hosts_seconds', help: 'Two hosts.', buckets: [1] });
    const hb = b.histogram({ name: 'two_hosts_seconds', help: 'Two hosts.', buckets: [1] });
    expect(hb.familyId).toBe(ha.familyId);
    ha.observe(0.5);
    hb.observe(2);
    for (const h of [a, b]) {
      expect((await scrapeHost(h)).histogram('two_hosts_seconds')).toEqual({ count: 2, sum: 2.5, buckets: { '1': 1, '+Inf': 2 } });
    }
  });

  it('different registries keep separate families of the same name', async () => {
    const a = host();
    const b = host();
    a.counter({ name: 'isolated_total', help: 'I.' }).inc(5);
    b.counter({ name: 'isolated_total', help: 'I.' }).inc(1);
    expect((await scrapeHost(a)).value('isolated_total')).toBe(5);
    expect((await scrapeHost(b)).value('isolated_total')).toBe(1);
  });
});

describe('unit', () => {
  it('accepts a name that ends with _<unit> (before _total for counters)', () => {
    const h = host();
    expect(h.counter({ name: 'sent_bytes_total', help: 'Sent.', unit: 'bytes' }).name).toBe('sent_bytes_total');
    expect(h.gauge({ name: 'temperature_celsius', help: 'T.', unit: 'celsius' }).definition.unit).toBe('celsius');
    expect(h.histogram({ name: 'wait_seconds', help: 'W.', unit: 'seconds' }).definition.unit).toBe('seconds');
  });
});

describe('host', () => {
  it('contentType is Prometheus text 0.0.4, and metrics() is text unless asked', async () => {
    const h = host();
    expect(h.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    h.gauge({ name: 'fmt_gauge', help: 'F.' }).set(1);
    expect(await h.metrics()).not.toContain('# EOF');
    expect(await h.metrics({ format: 'openmetrics' })).toMatch(/# EOF\n$/);
  });

  it('close applies buffered samples; a closed host refuses to render', async () => {
    const a = createTestHost();
    const b = host({ registry: a.registry });
    a.counter({ name: 'closed_total', help: 'C.' }).inc(7);
    await a.close();
    await a.close(); // idempotent
    expect((await scrapeHost(b)).value('closed_total')).toBe(7);
    await expect(a.metrics()).rejects.toMatchObject({ code: 'METRICORE_HOST_CLOSED', message: 'the metrics host is closed; create a new MetricsHost' });
    await expect(a.listen({ port: 0 })).rejects.toMatchObject({ code: 'METRICORE_HOST_CLOSED' });
  });

  it('self-metrics: series per family and scrape duration', async () => {
    const h = host();
    const c = h.counter({ name: 'self_total', help: 'S.', labelNames: ['a'] });
    c.inc({ a: '1' });
    c.inc({ a: '2' });
    await h.metrics();
    const scrape = await scrapeHost(h);
    expect(scrape.value('metricore_series', { family: 'self_total' })).toBe(2);
    const duration = scrape.histogram('metricore_scrape_duration_seconds')!;
    expect(duration.count).toBe(1);
    expect(duration.sum).toBeGreaterThan(0);
  });
});

describe('package', () => {
  it('the CommonJS build works with require(), test kit included', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `
      const { MetricsHost } = require('@metricore/framework');
      const { createTestHost, scrapeHost } = require('@metricore/framework/testing');
      const host = createTestHost();
      host.counter({ name: 'cjs_total', help: 'From CommonJS.' }).inc(3);
      scrapeHost(host).then((s) => { console.log(host instanceof MetricsHost, s.value('cjs_total')); return host.close(); });
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: new URL('.', import.meta.url), encoding: 'utf8' });
    expect(out.trim()).toBe('true 3');
  });
});

describe('remove and reset', () => {
  it('remove takes a series out of the exposition; recording brings it back from zero', async () => {
    const host = createTestHost();
    const rss = host.gauge({ name: 'child_rss_bytes', help: 'RSS of build processes.', labelNames: ['pid'], unit: 'bytes' });
    const held = rss.labels({ pid: '101' });
    held.set(1000);
    rss.set({ pid: 102 }, 2000);
    expect(rss.remove({ pid: '101' })).toBe(true);
    expect(rss.remove('101')).toBe(false);
    expect(rss.remove(102)).toBe(true);
    let s = await scrapeHost(host);
    expect(s.seriesCount('child_rss_bytes')).toBe(0);
    held.inc(5); // a child held elsewhere revives its series, from zero
    s = await scrapeHost(host);
    expect(s.value('child_rss_bytes', { pid: '101' })).toBe(5);
    rss.reset();
    s = await scrapeHost(host);
    expect(s.seriesCount('child_rss_bytes')).toBe(0);
    expect(() => rss.remove({ pod: 'x' } as never)).toThrow(/has no label "pod"/);
    await host.close();
  });
});
