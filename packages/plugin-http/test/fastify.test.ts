import Fastify from 'fastify';
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
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
