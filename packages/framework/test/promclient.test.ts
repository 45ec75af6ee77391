/**
 * promclient: interop with prom-client 15 in both directions.
 */
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry, type Metric as PromMetric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { toPromClient } from '@metricore/framework';
import { parseScrape, scrapeUrl } from '@metricore/framework/testing';
import { PROMETHEUS_ACCEPT, closedAfterEach, request } from './helpers.js';

const host = closedAfterEach();

describe('host.attachPromClient(registry)', () => {
  function promRegistry() {
    const registry = new Registry();
    const legacy = new PromCounter({ name: 'legacy_requests_total', help: 'Requests counted by prom-client.', labelNames: ['route'], registers: [registry] });
    legacy.inc({ route: '/old' }, 4);
    const h = new PromHistogram({ name: 'legacy_latency_seconds', help: 'Latency by prom-client.', buckets: [0.1, 1], registers: [registry] });
    h.observe(0.05);
    h.observe(0.5);
    new PromGauge({ name: 'legacy_up', help: 'Up.', registers: [registry] }).set(1);
    return registry;
  }

  it('prom-client metrics appear in the same text body, over HTTP', async () => {
    const h = host();
    h.counter({ name: 'native_total', help: 'Native.' }).inc(2);
    const registry = promRegistry();
    expect(h.attachPromClient(registry)).toBe(h);
    const { url } = await h.listen({ port: 0 });
    const scrape = await scrapeUrl(url);
    expect(scrape.value('native_total')).toBe(2);
    expect(scrape.value('legacy_requests_total', { route: '/old' })).toBe(4);
    expect(scrape.value('legacy_up')).toBe(1);
    expect(scrape.histogram('legacy_latency_seconds')).toEqual({ count: 2, sum: 0.55, buckets: { '0.1': 1, '1': 2, '+Inf': 2 } });
    // The attached registry keeps its own content type.
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('and in OpenMetrics, before the one # EOF; gzip works on the joined body', async () => {
    const h = host();
    h.counter({ name: 'native_total', help: 'Native.' }).inc(2);
    const registry = promRegistry();
    h.attachPromClient(registry);
    const { url } = await h.listen({ port: 0 });
    const om = (await request(url, { headers: { accept: PROMETHEUS_ACCEPT } })).body.toString('utf8');
    expect(om).toContain('native_total 2\n');
    expect(om).toContain('# TYPE legacy_requests counter\n');
    expect(om).toContain('legacy_requests_total{route="/old"} 4\n');
    expect(om).toContain('legacy_latency_seconds_count 2\n');
    expect(om.match(/# EOF/g)).toHaveLength(1);
    expect(om.endsWith('# EOF\n')).toBe(true);
    // prom-client renames its counters in place for OpenMetrics; text renders afterwards are unharmed.
    expect(parseScrape((await request(url)).body.toString()).value('legacy_requests_total', { route: '/old' })).toBe(4);
    expect(await registry.metrics()).toContain('legacy_requests_total{route="/old"} 4\n');
    const { gunzipSync } = await import('node:zlib');
    const gz = await request(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(parseScrape(gunzipSync(gz.body).toString('utf8')).value('legacy_requests_total', { route: '/old' })).toBe(4);
  });

  it('refuses a prom-client family whose samples a metricore family renders, naming both', () => {
    const h = host();
    h.histogram({ name: 'lat_seconds', help: 'Latency.', buckets: [1] });
    const registry = new Registry();
    new PromCounter({ name: 'lat_seconds_count', help: 'A counter named like a histogram sample.', registers: [registry] });
    expect(() => h.attachPromClient(registry)).toThrow(
      expect.objectContaining({
        code: 'METRICORE_SAMPLE_NAME_CLASH',
        message: 'metric "lat_seconds_count" would render sample "lat_seconds_count", which metric "lat_seconds" already renders; rename one of them',
      }),
    );
    const other = host();
    other.attachPromClient(registry);
    expect(() => other.histogram({ name: 'lat_seconds', help: 'Latency.', buckets: [1] })).toThrow(
      expect.objectContaining({ code: 'METRICORE_SAMPLE_NAME_CLASH', message: 'metric "lat_seconds" would render sample "lat_seconds_count", which metric "lat_seconds_count" already renders; rename one of them' }),
    );
  });

  it('a family both define is rendered once, metricore\'s, with one warning', async () => {
    const logger = { warnings: [] as string[], warn(message: string) { this.warnings.push(message); } };
    const h = host({ logger });
    h.counter({ name: 'shared_jobs_total', help: 'Defined by metricore.' }).inc(2);
    const registry = new Registry();
    new PromCounter({ name: 'shared_jobs_total', help: 'Defined by prom-client too.', registers: [registry] }).inc(40);
    new PromGauge({ name: 'only_prom_up', help: 'Only prom-client.', registers: [registry] }).set(1);
    h.attachPromClient(registry);
    for (const format of ['text', 'openmetrics'] as const) {
      const text = await h.metrics({ format });
      expect(text.match(/^# TYPE shared_jobs(_total)? counter$/gm), format).toHaveLength(1);
      expect(text, format).toContain('shared_jobs_total 2\n');
      expect(text, format).toContain('only_prom_up 1\n');
    }
    expect(logger.warnings).toEqual([
      'metricore: the attached prom-client registry and metricore both define "shared_jobs_total"; rendering metricore\'s and leaving out prom-client\'s',
    ]);
  });
});

describe('registry.registerMetric(toPromClient(metric))', () => {
  it("a metricore family appears in prom-client's registry.metrics() with exact values", async () => {
    const h = host();
    const c = h.counter({ name: 'mc_jobs_total', help: 'Jobs from metricore.', labelNames: ['org'] });
    c.inc({ org: 'a' }, 3);
    c.inc({ org: 'b"q' });
    const g = h.gauge({ name: 'mc_queue', help: 'Queue from metricore.' });
    g.set(-1.5);
    const hist = h.histogram({ name: 'mc_build_seconds', help: 'Builds from metricore.', labelNames: ['system'], buckets: [1, 10] });
    hist.observe({ system: 'x86_64-linux' }, 0.5);
    hist.observe({ system: 'x86_64-linux' }, 5);
    hist.observe({ system: 'x86_64-linux' }, 50);

    const registry = new Registry();
    for (const m of [c, g, hist]) registry.registerMetric(toPromClient<PromMetric>(m));
    new PromCounter({ name: 'pc_own_total', help: 'prom-client own.', registers: [registry] }).inc();
    const text = await registry.metrics();
    const scrape = parseScrape(text);
    expect(scrape.value('mc_jobs_total', { org: 'a' })).toBe(3);
    expect(scrape.value('mc_jobs_total', { org: 'b"q' })).toBe(1);
    expect(scrape.value('mc_queue')).toBe(-1.5);
    expect(scrape.histogram('mc_build_seconds', { system: 'x86_64-linux' })).toEqual({ count: 3, sum: 55.5, buckets: { '1': 1, '10': 2, '+Inf': 3 } });
    expect(scrape.value('pc_own_total')).toBe(1);
    expect(scrape.family('mc_build_seconds')?.type).toBe('HISTOGRAM');
    expect(text).toContain('# HELP mc_jobs_total Jobs from metricore.\n# TYPE mc_jobs_total counter\n');
    // Values recorded later show up in the next prom-client scrape (buffered samples are applied first).
    c.inc({ org: 'a' });
    expect(parseScrape(await registry.metrics()).value('mc_jobs_total', { org: 'a' })).toBe(4);
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'mc_queue')).toMatchObject({ type: 'gauge', values: [{ value: -1.5, labels: {} }] });
  });
});
