import { createServer, request, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsHost } from '@metricore/framework';
import { createTestHost, scrapeUrl, type Scrape } from '@metricore/framework/testing';
import httpMetrics, { httpMetricsOf, SEMCONV_DURATION_BUCKETS, type HttpMetricsOptions } from '../src/index.js';
import { closeServer, D, deferred, get, L, listenOn } from './support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

/** serve: a host with the plugin and a node:http server whose route is the request path (fine for tests with few paths). */
async function serve(options: HttpMetricsOptions, handler: RequestListener, route: string | ((req: IncomingMessage) => string | undefined) = (req) => (req.url ?? '/').split('?')[0]) {
  const http = httpMetrics(options);
  const host = createTestHost({ plugins: [http] });
  const server = createServer(http.wrap(handler, route));
  const url = await listenOn(server);
  const metricsUrl = (await host.listen({ port: 0 })).url;
  cleanup.push(async () => {
    await closeServer(server);
    await host.close();
  });
  return { url, host, scrape: (): Promise<Scrape> => scrapeUrl(metricsUrl) };
}

const statusFromPath: RequestListener = (req, res) => {
  const status = Number(/\/(\d{3})$/.exec(req.url ?? '')?.[1] ?? 200);
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end('x');
};

describe('options', () => {
  it('rejects bad options with METRICORE_INVALID_OPTION naming the option', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ naming: 'otel' }, /@metricore\/plugin-http: option "naming"/],
      [{ prefix: '9bad' }, /option "prefix": prefix must be empty or a valid metric-name start/],
      [{ buckets: [1, 0.5] }, /option "buckets": buckets must be strictly increasing/],
      [{ maxRoutes: 0 }, /option "maxRoutes"/],
      [{ ignoreRoutes: '/metrics' }, /option "ignoreRoutes"/],
      [{ statusClass: true }, /options: .*statusClass/],
    ];
    for (const [options, message] of cases) {
      expect(() => httpMetrics(options as HttpMetricsOptions)).toThrow(message);
      try {
        httpMetrics(options as HttpMetricsOptions);
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError);
        expect((error as { code?: string }).code).toBe('METRICORE_INVALID_OPTION');
      }
    }
  });

  it('uses the semconv names and buckets by default', async () => {
    const { url, scrape } = await serve({}, statusFromPath, '/x');
    await get(`${url}/x`);
    const s = await scrape();
    expect(s.family(D)?.type).toBe('HISTOGRAM');
    const bounds = Object.keys(s.histogram(D, L('GET', '/x', '200'))!.buckets).filter((le) => le !== '+Inf').map(Number).sort((a, b) => a - b);
    expect(bounds).toEqual([...SEMCONV_DURATION_BUCKETS]);
    expect(s.family('http_server_active_requests')?.type).toBe('GAUGE');
    expect(s.family('http_server_request_body_size_bytes')).toBeUndefined();
  });

  it('offers prom-client middleware names with a prefix', async () => {
    const { url, scrape } = await serve({ naming: 'prom-client', prefix: 'gradient_', buckets: [0.1, 1] }, statusFromPath, '/things/:id');
    await get(`${url}/things/1`);
    const s = await scrape();
    const h = s.histogram('gradient_http_request_duration_seconds', { method: 'GET', route: '/things/:id', status_code: '200' });
    expect(h?.count).toBe(1);
    expect(Object.keys(h!.buckets).sort()).toEqual(['+Inf', '0.1', '1']);
    expect(s.value('gradient_http_requests_in_flight', { method: 'GET' })).toBe(0);
    expect(s.family(D)).toBeUndefined();
  });

  it('groups status codes into classes', async () => {
    const { url, scrape } = await serve({ statusClasses: true }, statusFromPath, '/s/:code');
    for (const code of [200, 201, 204, 404, 503]) expect((await get(`${url}/s/${code}`)).status).toBe(code);
    const s = await scrape();
    expect(s.histogram(D, L('GET', '/s/:code', '2xx'))?.count).toBe(3);
    expect(s.histogram(D, L('GET', '/s/:code', '4xx'))?.count).toBe(1);
    expect(s.histogram(D, L('GET', '/s/:code', '5xx'))?.count).toBe(1);
    expect(s.seriesCount(D)).toBe(3);
  });

  it('ignores the routes it is told to, and only those', async () => {
    const { url, scrape } = await serve({ ignoreRoutes: ['/health', '/ready'] }, statusFromPath);
    for (const path of ['/health', '/ready', '/health?verbose=1', '/metrics', '/work']) await get(url + path);
    const s = await scrape();
    const routes = s.family(D)!.metrics.map((m) => m.labels?.http_route).sort();
    expect(routes).toEqual(['/metrics', '/work']);
  });

  it('ignores an unmatched request by its exact path (an endpoint mounted outside the router)', async () => {
    const { url, scrape } = await serve({}, statusFromPath, () => undefined);
    await get(`${url}/metrics`);
    await get(`${url}/metrics?debug=1`);
    await get(`${url}/nope`);
    const s = await scrape();
    expect(s.seriesCount(D)).toBe(1);
    expect(s.histogram(D, L('GET', '__unmatched__', '200'))?.count).toBe(1);
  });

  it('counts a request whose route resolver throws as unmatched, without disturbing the server', async () => {
    const { url, scrape } = await serve({}, statusFromPath, () => {
      throw new Error('resolver bug');
    });
    expect((await get(`${url}/x`)).status).toBe(200);
    expect((await get(`${url}/y`)).status).toBe(200);
    const s = await scrape();
    expect(s.histogram(D, L('GET', '__unmatched__', '200'))?.count).toBe(2);
  });

  it('folds route values beyond maxRoutes into __other__', async () => {
    const { url, scrape } = await serve({ maxRoutes: 2 }, statusFromPath);
    for (const path of ['/a', '/b', '/c', '/d', '/a', '/d']) await get(url + path);
    const s = await scrape();
    expect(s.histogram(D, L('GET', '/a', '200'))?.count).toBe(2);
    expect(s.histogram(D, L('GET', '/b', '200'))?.count).toBe(1);
    expect(s.histogram(D, L('GET', '__other__', '200'))?.count).toBe(3);
    expect(s.seriesCount(D)).toBe(3);
  });

  it('records body sizes when asked: request Content-Length, response bytes written (streamed too)', async () => {
    const echo: RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/stream') {
          // No Content-Length: chunked, written in three parts.
          res.write('abc');
          res.write(Buffer.alloc(100));
          res.end('é', 'utf8');
          return;
        }
        const body = Buffer.concat([Buffer.concat(chunks), Buffer.alloc(1500, 'x')]);
        res.writeHead(200, { 'content-length': body.length });
        res.end(body);
      });
    };
    const { url, scrape } = await serve({ bodySizes: true, sizeBuckets: [10, 1000, 10_000] }, echo);
    const res = await fetch(`${url}/echo`, { method: 'POST', body: 'hello' });
    expect((await res.arrayBuffer()).byteLength).toBe(1505);
    expect((await get(`${url}/stream`)).body).toBe(`abc${'\0'.repeat(100)}é`);
    const s = await scrape();
    const size = (name: string, method: string, route: string) => s.histogram(name, L(method, route, '200'));
    expect(size('http_server_request_body_size_bytes', 'POST', '/echo')).toEqual({ count: 1, sum: 5, buckets: { '10': 1, '1000': 1, '10000': 1, '+Inf': 1 } });
    expect(size('http_server_response_body_size_bytes', 'POST', '/echo')).toEqual({ count: 1, sum: 1505, buckets: { '10': 0, '1000': 0, '10000': 1, '+Inf': 1 } });
    // A GET without a body is a 0-byte request; the streamed response counts every byte written ("é" is 2 in UTF-8).
    expect(size('http_server_request_body_size_bytes', 'GET', '/stream')).toMatchObject({ count: 1, sum: 0 });
    expect(size('http_server_response_body_size_bytes', 'GET', '/stream')).toMatchObject({ count: 1, sum: 105 });
  });

  it('counts requests in flight while they run', async () => {
    const release = deferred();
    const entered = deferred();
    const { url, scrape } = await serve({}, async (_req, res) => {
      entered.resolve();
      await release.promise;
      res.end('done');
    }, '/wait');
    const pending = get(`${url}/wait`);
    await entered.promise;
    expect((await scrape()).value('http_server_active_requests', { http_request_method: 'GET' })).toBe(1);
    release.resolve();
    await pending;
    expect((await scrape()).value('http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
  });

  it('drops the in-flight gauge when activeRequests is false', async () => {
    const { url, scrape } = await serve({ activeRequests: false }, statusFromPath, '/x');
    await get(`${url}/x`);
    const s = await scrape();
    expect(s.family('http_server_active_requests')).toBeUndefined();
    expect(s.histogram(D, L('GET', '/x', '200'))?.count).toBe(1);
  });

  it('folds methods outside the known set into _OTHER', async () => {
    const { url, scrape } = await serve({}, statusFromPath, '/dav');
    for (const method of ['PROPFIND', 'MKCOL', 'PATCH']) {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${url}/dav`, { method }, (res) => res.resume().on('end', resolve));
        req.on('error', reject).end();
      });
    }
    const s = await scrape();
    expect(s.histogram(D, L('_OTHER', '/dav', '200'))?.count).toBe(2);
    expect(s.histogram(D, L('PATCH', '/dav', '200'))?.count).toBe(1);
    expect(s.seriesCount(D)).toBe(2);
  });
});

describe('plugin lifecycle', () => {
  it('asks for a host before an adapter is made', () => {
    const http = httpMetrics();
    expect(() => http.express()).toThrow(
      '@metricore/plugin-http: express() needs the plugin applied to a host first: pass it in `new MetricsHost({ plugins: [http] })` or call `host.use(http)` before creating adapters',
    );
  });

  it('is named after its package and refuses a second host (isolated and counted by the host)', async () => {
    const http = httpMetrics();
    expect(http.name).toBe('@metricore/plugin-http');
    const first: MetricsHost = createTestHost({ plugins: [http] });
    const second: MetricsHost = createTestHost({ plugins: [http] });
    const s = await scrapeUrl((await second.listen({ port: 0 })).url);
    expect(s.value('metricore_plugin_errors_total', { plugin: '@metricore/plugin-http', hook: 'apply' })).toBe(1);
    await first.close();
    await second.close();
  });

  it('records once when two adapters see the same request', async () => {
    const http = httpMetrics();
    const host = createTestHost({ plugins: [http] });
    const inner = http.wrap((_req: IncomingMessage, res: ServerResponse) => res.end('ok'), '/inner');
    const server = createServer(http.wrap(inner, '/outer'));
    const url = await listenOn(server);
    await get(url);
    const s = await scrapeUrl((await host.listen({ port: 0 })).url);
    expect(s.histogram(D, L('GET', '/outer', '200'))?.count).toBe(1);
    expect(s.seriesCount(D)).toBe(1);
    await closeServer(server);
    await host.close();
  });
});

describe('finding the plugin of a host', () => {
  it('returns the plugin applied to a host (for hosts built from a config file), and names a host without one', async () => {
    const http = httpMetrics();
    const host = createTestHost({ plugins: [http] });
    expect(httpMetricsOf(host)).toBe(http);
    expect(() => httpMetricsOf(createTestHost())).toThrow(
      '@metricore/plugin-http: this host has no @metricore/plugin-http applied; add it to its plugins (in code or in metricore.config.*)',
    );
    await host.close();
  });

  it('imports no web framework: adapters use only what the app hands them', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const src = new URL('../src/', import.meta.url);
    for (const file of await readdir(src)) {
      const text = await readFile(new URL(file, src), 'utf8');
      expect(text, file).not.toMatch(/(from|import\(|require\()\s*['"](express|fastify|koa|@koa\/router)['"]/);
    }
  });
});
