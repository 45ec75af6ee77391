import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestHost, scrapeUrl } from '@metricore/framework/testing';
import httpMetrics from '../src/index.js';
import { adapterSuite } from './suite.js';
import { closeServer, D, get, L, listenOn, sleep } from './support.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
const text = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
};

adapterSuite('node:http', async (http, { host, started }) => {
  // A hand-rolled router, as plain node:http apps have: it stores the template it matched on the request.
  const routes: Array<[string, RegExp, Handler]> = [
    ['/metrics', /^\/metrics$/, (req, res) => host.handler(req, res)],
    ['/users/:id', /^\/users\/[^/]+$/, (_req, res) => text(res, 200, 'ok')],
    ['/api/orgs/:org/projects/:project', /^\/api\/orgs\/[^/]+\/projects\/[^/]+$/, (_req, res) => text(res, 200, 'ok')],
    [
      '/stream',
      /^\/stream$/,
      async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (const chunk of ['a', 'b', 'c']) {
          res.write(chunk);
          await sleep(60);
        }
        res.end();
      },
    ],
    [
      '/slow',
      /^\/slow$/,
      async (_req, res) => {
        const closed = new Promise((r) => res.on('close', r));
        started();
        await closed;
        text(res, 200, 'late');
      },
    ],
    [
      '/boom',
      /^\/boom$/,
      () => {
        throw new Error('boom');
      },
    ],
  ];
  const templates = new WeakMap<IncomingMessage, string>();
  const app = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const route = req.method === 'GET' ? routes.find(([, re]) => re.test(path)) : undefined;
    if (route === undefined) return text(res, 404, 'not found');
    templates.set(req, route[0]);
    try {
      await route[2](req, res);
    } catch {
      text(res, 500, 'internal error');
    }
  };
  const server = createServer(http.wrap(app, (req) => templates.get(req)));
  const url = await listenOn(server);
  return { url, close: () => closeServer(server) };
});

describe('node:http wrap with a fixed template', () => {
  const http = httpMetrics();
  const host = createTestHost({ plugins: [http] });
  const server = createServer(http.wrap((_req, res) => text(res, 204, ''), '/health'));
  afterAll(async () => {
    await closeServer(server);
    await host.close();
  });

  it('records every request under that template', async () => {
    const url = await listenOn(server);
    for (const path of ['/health', '/anything/else', '/health?full=1']) expect((await get(url + path)).status).toBe(204);
    const scrape = await scrapeUrl((await host.listen({ port: 0 })).url);
    expect(scrape.histogram(D, L('GET', '/health', '204'))?.count).toBe(3);
    expect(scrape.seriesCount(D)).toBe(1);
  });

  it('rejects a route that is neither a template nor a resolver, naming it', () => {
    expect(() => http.wrap(() => {}, 42 as unknown as string)).toThrow(/route must be a template string or a resolver function, got number/);
  });
});
