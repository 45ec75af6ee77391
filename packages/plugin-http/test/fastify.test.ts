import Fastify from 'fastify';
import { createServer } from 'node:http';
import { connect } from 'node:http2';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHost, scrapeUrl } from '@metricore/framework/testing';
import httpMetrics from '../src/index.js';
import { adapterSuite } from './suite.js';
import { closeServer, D, get, L, listenOn, sleep } from './support.js';

adapterSuite('Fastify 5', async (http, { host, started }) => {
  const app = Fastify();
  await app.register(http.fastify());
  app.get('/metrics', (request, reply) => {
    reply.hijack();
    host.handler(request.raw, reply.raw);
  });
  app.get('/users/:id', async () => 'ok');
  await app.register(
    async (orgs) => {
      orgs.get('/projects/:project', async () => 'ok');
    },
    { prefix: '/api/orgs/:org' },
  );
  app.get('/stream', (_request, reply) => {
    async function* chunks() {
      for (const chunk of ['a', 'b', 'c']) {
        yield chunk;
        await sleep(60);
      }
    }
    return reply.type('text/plain').send(Readable.from(chunks()));
  });
  app.get('/slow', async (_request, reply) => {
    const closed = new Promise((r) => reply.raw.on('close', r));
    started();
    await closed;
    return 'late';
  });
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});

describe('Fastify adapter on a request without a Fastify route context', () => {
  const http = httpMetrics();
  const host = createTestHost({ plugins: [http] });
  let hook: ((request: unknown, reply: unknown, done: () => void) => void) | undefined;
  // The adapter's contract is an instance with addHook; a Fastify version whose requests carry no
  // Symbol('fastify.context') is served through the public routeOptions getter.
  (http.fastify() as (instance: unknown, options: unknown, done: () => void) => void)({ addHook: (_name: string, h: typeof hook) => (hook = h) }, {}, () => {});
  const server = createServer((req, res) => {
    const route = req.url === '/missing' ? { is404: true, routeOptions: {} } : { is404: false, routeOptions: { url: '/items/:id' } };
    hook!({ raw: req, ...route }, { raw: res }, () => {
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end('ok');
    });
  });
  afterAll(async () => {
    await closeServer(server);
    await host.close();
  });

  it('takes the route template from routeOptions, and 404s as unmatched', async () => {
    const url = await listenOn(server);
    for (const path of ['/items/1', '/items/2', '/missing']) await get(url + path);
    const scrape = await scrapeUrl((await host.listen({ port: 0 })).url);
    expect(scrape.histogram(D, L('GET', '/items/:id', '200'))?.count).toBe(2);
    expect(scrape.histogram(D, L('GET', '__unmatched__', '404'))?.count).toBe(1);
  });
});

describe('Fastify adapter with inject() (no net.Socket, so no diagnostics_channel message)', () => {
  const http = httpMetrics();
  const host = createTestHost({ plugins: [http] });
  afterAll(() => host.close());

  it('records injected requests through per-response listeners, under their status (not as aborted)', async () => {
    const app = Fastify();
    await app.register(http.fastify());
    app.get('/users/:id', async () => 'ok');
    await app.ready();
    for (const id of ['1', '2', '3']) expect((await app.inject({ url: `/users/${id}` })).statusCode).toBe(200);
    await sleep(20); // light-my-request emits `close` on the next tick after `finish`
    const scrape = await scrapeUrl((await host.listen({ port: 0 })).url);
    expect(scrape.histogram(D, L('GET', '/users/:id', '200'))?.count).toBe(3);
    expect(scrape.histogram(D, L('GET', '/users/:id', 'aborted'))).toBeUndefined();
    expect(scrape.value('http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
    await app.close();
  });
});

describe('Fastify adapter: requests that never reach their handler', () => {
  const http = httpMetrics();
  const host = createTestHost({ plugins: [http] });
  const app = Fastify();
  let url = '';
  let metricsUrl = '';

  beforeAll(async () => {
    await app.register(http.fastify());
    app.post('/items/:id', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async () => 'ok');
    app.get('/plain', async () => 'plain'); // also gets Fastify's HEAD route
    await app.register(
      async (guarded) => {
        // A user's hook that fails with an error.
        guarded.addHook('onRequest', async (request) => {
          if (request.headers['x-fail'] !== undefined) throw Object.assign(new Error('no'), { statusCode: 403 });
        });
        // A user's hook that answers by itself, with no error.
        guarded.addHook('preHandler', (request, reply, done) => {
          if (request.headers['x-deny'] !== undefined) reply.code(401).send('denied');
          else done();
        });
        guarded.get('/secret/:id', async () => 'secret');
      },
      { prefix: '/g' },
    );
    await app.register(async (pre) => pre.get('/', async () => 'root of prefix'), { prefix: '/p' });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    metricsUrl = (await host.listen({ port: 0 })).url;
  });
  afterAll(async () => {
    await app.close();
    await host.close();
  });

  it('records a schema-validation 400 under its route', async () => {
    const post = (body: string) => get(`${url}/items/7`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await post('{"name":"x"}')).status).toBe(200);
    expect((await post('{}')).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    const scrape = await scrapeUrl(metricsUrl);
    expect(scrape.histogram(D, L('POST', '/items/:id', '200'))?.count).toBe(1);
    expect(scrape.histogram(D, L('POST', '/items/:id', '400'))?.count).toBe(2);
    expect(scrape.histogram(D, L('POST', '__unmatched__', '400'))).toBeUndefined();
  });

  it('records an error from a user hook, and a hook answering by itself, under the route', async () => {
    expect((await get(`${url}/g/secret/1`)).status).toBe(200);
    expect((await get(`${url}/g/secret/2`, { headers: { 'x-fail': '1' } })).status).toBe(403);
    expect((await get(`${url}/g/secret/3`, { headers: { 'x-deny': '1' } })).status).toBe(401);
    const scrape = await scrapeUrl(metricsUrl);
    expect(scrape.histogram(D, L('GET', '/g/secret/:id', '200'))?.count).toBe(1);
    expect(scrape.histogram(D, L('GET', '/g/secret/:id', '403'))?.count).toBe(1);
    expect(scrape.histogram(D, L('GET', '/g/secret/:id', '401'))?.count).toBe(1);
    expect(scrape.value('http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
  });

  it('names HEAD routes Fastify adds and a prefix root route, with and without its trailing slash', async () => {
    expect((await get(`${url}/plain`, { method: 'HEAD' })).status).toBe(200);
    expect((await get(`${url}/p`)).status).toBe(200);
    expect((await get(`${url}/p/`)).status).toBe(200);
    expect((await get(`${url}/nothing-here`)).status).toBe(404);
    const scrape = await scrapeUrl(metricsUrl);
    expect(scrape.histogram(D, L('HEAD', '/plain', '200'))?.count).toBe(1);
    expect(scrape.histogram(D, L('GET', '/p', '200'))?.count).toBe(2);
    expect(scrape.histogram(D, L('GET', '__unmatched__', '404'))?.count).toBe(1);
  });
});

describe('Fastify adapter on an HTTP/2 instance (responses Node publishes on no channel)', () => {
  const http = httpMetrics();
  const host = createTestHost({ plugins: [http] });
  afterAll(() => host.close());

  it('records requests through per-response listeners, 404s as unmatched', async () => {
    const app = Fastify({ http2: true });
    await app.register(http.fastify());
    app.get('/users/:id', async () => 'ok');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const session = connect(url);
    const request = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': path });
        let status = 0;
        stream.on('response', (headers) => (status = Number(headers[':status'])));
        stream.on('error', reject);
        stream.resume();
        stream.on('end', () => resolve(status));
      });
    try {
      expect(await request('/users/1')).toBe(200);
      expect(await request('/users/2')).toBe(200);
      expect(await request('/missing')).toBe(404);
    } finally {
      session.close();
    }
    await sleep(20);
    const scrape = await scrapeUrl((await host.listen({ port: 0 })).url);
    expect(scrape.histogram(D, L('GET', '/users/:id', '200'))?.count).toBe(2);
    expect(scrape.histogram(D, L('GET', '__unmatched__', '404'))?.count).toBe(1);
    await app.close();
  });
});
