/**
 * endpoint: the /metrics endpoint over real HTTP on 127.0.0.1 with an ephemeral port.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MetricsHost, type BodyStream, type MetricsHostOptions } from '@metricore/framework';
import { createTestHost, parseScrape, scrapeUrl } from '@metricore/framework/testing';
import { PROMETHEUS_ACCEPT, capturingLogger, closedAfterEach, deferred, request, waitFor } from './helpers.js';

const testHost = closedAfterEach();
async function serve(options: MetricsHostOptions = {}) {
  const host = testHost(options);
  host.counter({ name: 'served_total', help: 'Served.', labelNames: ['route'] }).inc({ route: '/a' }, 3);
  host.histogram({ name: 'served_seconds', help: 'Served.', buckets: [1], unit: 'seconds' }).observe(0.25);
  const info = await host.listen({ port: 0 });
  return { ...info, host };
}

describe('endpoint', () => {
  it('listen resolves the bound address on 127.0.0.1', async () => {
    const host = testHost();
    const heard: unknown[] = [];
    host.hooks.listening.tap('t', (info) => heard.push(info));
    const { url, port, host: address } = await host.listen({ port: 0 });
    expect(address).toBe('127.0.0.1');
    expect(heard).toEqual([{ url, port, host: '127.0.0.1' }]);
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}/metrics`);
  });

  it('GET answers 200 with Prometheus text 0.0.4', async () => {
    const { url } = await serve();
    const res = await request(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    const scrape = parseScrape(res.body.toString('utf8'));
    expect(scrape.value('served_total', { route: '/a' })).toBe(3);
    expect(scrape.histogram('served_seconds')).toEqual({ count: 1, sum: 0.25, buckets: { '1': 1, '+Inf': 1 } });
    expect((await scrapeUrl(url)).value('served_total', { route: '/a' })).toBe(3);
  });

  it("answers OpenMetrics to Prometheus' own Accept header, text to text/plain and */*", async () => {
    const { url } = await serve();
    const om = await request(url, { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(om.status).toBe(200);
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const body = om.body.toString('utf8');
    expect(body).toContain('# TYPE served counter\nserved_total{route="/a"} 3\n');
    expect(body).toContain('# UNIT served_seconds seconds\n');
    expect(body.endsWith('# EOF\n')).toBe(true);
    for (const accept of ['text/plain;version=0.0.4', '*/*', 'application/json']) {
      const res = await request(url, { headers: { accept } });
      expect(res.status, accept).toBe(200);
      expect(res.headers['content-type'], accept).toBe('text/plain; version=0.0.4; charset=utf-8');
    }
    expect(om.headers.vary).toBe('Accept, Accept-Encoding');
  });

  it('gzips when Accept-Encoding allows it; the body decompresses to the plain body', async () => {
    const { url } = await serve();
    const plain = await request(url);
    const zipped = await request(url, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    const unzipped = gunzipSync(zipped.body).toString('utf8');
    // Scrape duration differs between the two scrapes; everything else is identical.
    const stable = (t: string) => t.replace(/^metricore_(scrape_duration_seconds|series).*\n/gm, '');
    expect(stable(unzipped)).toBe(stable(plain.body.toString('utf8')));
    const omZipped = await request(url, { headers: { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' } });
    expect(omZipped.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(gunzipSync(omZipped.body).toString('utf8')).toMatch(/served_total\{route="\/a"\} 3\n[\s\S]*# EOF\n$/);
    const refused = await request(url, { headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('404 on another path, 405 on another method, HEAD has headers and no body', async () => {
    const { url } = await serve();
    const base = url.replace(/\/metrics$/, '');
    expect((await request(`${base}/`)).status).toBe(404);
    expect((await request(`${base}/metricsx`)).status).toBe(404);
    expect((await request(`${url}?name[]=x`)).status).toBe(200);
    const post = await request(url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await request(url, { method: 'DELETE' })).status).toBe(405);
    const head = await request(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
  });

  it('serves a custom path', async () => {
    const { url } = await serve({ endpoint: { path: '/internal/metrics' } });
    expect(url).toMatch(/\/internal\/metrics$/);
    expect((await request(url)).status).toBe(200);
    expect((await request(url.replace('/internal/metrics', '/metrics'))).status).toBe(404);
  });

  it('bearer token: 401 without it or with a wrong one, 200 with the right one', async () => {
    const { url } = await serve({ endpoint: { token: 's3cret-token' } });
    const missing = await request(url);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    for (const authorization of ['Bearer wrong', 'Bearer s3cret-toke', 'Bearer s3cret-token-longer', 'Basic czNjcmV0LXRva2Vu', 's3cret-token', 'Bearer ']) {
      expect((await request(url, { headers: { authorization } })).status, authorization).toBe(401);
    }
    const ok = await request(url, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect(parseScrape(ok.body.toString()).value('served_total', { route: '/a' })).toBe(3);
    expect((await scrapeUrl(url, { authorization: 'bearer s3cret-token' })).value('served_total', { route: '/a' })).toBe(3);
  });

  it('answers 503 beyond maxConcurrentScrapes, and serves again once scrapes finish', async () => {
    const { host, url } = await serve({ endpoint: { maxConcurrentScrapes: 2 } });
    const gate = deferred();
    let entered = 0;
    host.hooks.collect.tapPromise('slow-collector', async () => {
      entered++;
      await gate.promise;
    });
    const first = [request(url), request(url)];
    await waitFor(() => entered === 2, 'two scrapes in collect');
    const third = await request(url);
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('1');
    gate.resolve();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    expect((await request(url)).status).toBe(200);
  });

  it('answers 503 when rendering takes longer than renderTimeoutMs', async () => {
    const { host, url } = await serve({ endpoint: { renderTimeoutMs: 100 } });
    const gate = deferred();
    let hold = true;
    host.hooks.collect.tapPromise('sleepy-collector', async () => {
      if (hold) await gate.promise;
    });
    // Answered by the timeout while the collector still holds the render.
    const res = await request(url);
    expect(res.status).toBe(503);
    expect(res.body.toString()).toBe('Render timed out after 100 ms\n');
    hold = false;
    gate.resolve();
    await waitFor(async () => (await request(url)).status === 200, 'a scrape to succeed after the slow render');
  });

  it('renders that outlast the timeout still hold their slot, and late scrapes render no body', async () => {
    const { host, url } = await serve({ endpoint: { renderTimeoutMs: 30, maxConcurrentScrapes: 2 } });
    const gate = deferred();
    let entered = 0;
    let hold = true;
    host.hooks.collect.tapPromise('slow-collector', async () => {
      if (!hold) return;
      entered++;
      await gate.promise;
    });
    const streams: BodyStream[] = [];
    const renderStream = host.renderStream.bind(host);
    host.renderStream = async (...args) => {
      const stream = await renderStream(...args);
      streams.push(stream);
      return stream;
    };
    const timedOut = await Promise.all([request(url), request(url)]);
    expect(timedOut.map((r) => r.status)).toEqual([503, 503]);
    expect(entered).toBe(2);
    // Both renders still run: more scrapes than the cap are refused, none starts another render.
    const refused = await Promise.all([request(url), request(url), request(url)]);
    expect(refused.map((r) => r.body.toString())).toEqual(Array(3).fill('Too many concurrent scrapes\n'));
    expect(entered).toBe(2);
    hold = false;
    gate.resolve();
    await waitFor(() => streams.length === 2 && streams.every((s) => s.finished), 'the two late scrapes to close their streams');
    expect(streams.map((s) => s.bytes)).toEqual([0, 0]);
    expect((await request(url)).status).toBe(200);
  });

  it('warns at listen() when the endpoint binds beyond loopback without a token', async () => {
    const warned = async (options: MetricsHostOptions, address: string) => {
      const logger = capturingLogger();
      const host = testHost({ ...options, logger });
      await host.listen({ port: 0, host: address });
      return logger.warnings.map((w) => w.message);
    };
    expect(await warned({}, '0.0.0.0')).toEqual([
      'metricore: the metrics endpoint listens on 0.0.0.0 without a token: anyone who reaches this address can read every metric; set endpoint.token or listen on 127.0.0.1',
    ]);
    expect(await warned({ endpoint: { token: 'secret-token' } }, '0.0.0.0')).toEqual([]);
    expect(await warned({}, '127.0.0.1')).toEqual([]);
  });

  it('host.handler works inside an application server', async () => {
    const { createServer } = await import('node:http');
    const host = testHost();
    host.gauge({ name: 'embedded', help: 'E.' }).set(4);
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/metrics')) return host.handler(req, res);
      res.end('app');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      expect((await scrapeUrl(`http://127.0.0.1:${port}/metrics`)).value('embedded')).toBe(4);
      expect((await request(`http://127.0.0.1:${port}/`)).body.toString()).toBe('app');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('close stops the endpoint and runs close hooks after the last samples are applied', async () => {
    const { host, url } = await serve();
    const observer = testHost({ registry: host.registry });
    const events: string[] = [];
    host.hooks.listening.tap('t', () => events.push('listening'));
    host.hooks.close.tapPromise('t', async () => {
      events.push('close');
    });
    (host.getMetric('served_total') as import('@metricore/framework').Counter).inc({ route: '/a' }, 1);
    await host.close();
    expect(events).toEqual(['close']);
    await expect(request(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(parseScrape(await observer.metrics()).value('served_total', { route: '/a' })).toBe(4);
  });
});

describe('recycled render buffers', () => {
  it('serve identical bodies across sequential and parallel scrapes', async () => {
    const host = createTestHost();
    const h = host.histogram({ name: 'recycled_seconds', help: 'Bodies rendered into reused memory.', labelNames: ['route'], buckets: [0.1, 1] });
    for (let i = 0; i < 2000; i++) h.observe({ route: `/r/${i}` }, i % 3);
    const { url } = await host.listen({ port: 0, host: '127.0.0.1' });
    const body = async () => (await fetch(url)).text();
    const strip = (t: string) => t.split('\n').filter((l) => !l.includes('metricore_scrape_duration')).join('\n');
    const first = strip(await body());
    expect(first).toContain('recycled_seconds_count{route="/r/1999"} 1');
    for (let i = 0; i < 3; i++) expect(strip(await body())).toBe(first);
    const parallel = await Promise.all([body(), body(), body()]);
    for (const text of parallel) expect(strip(text)).toBe(first);
    // A body released by metrics() does not disturb the next render.
    expect(strip(await host.metrics())).toBe(first);
    await host.close();
  });
});
