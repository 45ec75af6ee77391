import express from 'express';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createTestHost, scrapeHost } from '@metricore/framework/testing';
import httpMetrics from '../src/index.js';
import { adapterSuite } from './suite.js';
import { closeServer, D, get, L, listenOn, sleep } from './support.js';

adapterSuite('Express 5', async (http, { host, started }) => {
  const app = express();
  app.set('env', 'test'); // finalhandler prints errors to stderr outside "test"
  app.use(http.express());
  app.get('/metrics', (req, res) => host.handler(req, res));
  app.get('/users/:id', (_req, res) => {
    res.send('ok');
  });
  const projects = express.Router({ mergeParams: true });
  projects.get('/projects/:project', (_req, res) => {
    res.send('ok');
  });
  app.use('/api/orgs/:org', projects);
  app.get('/stream', async (_req, res) => {
    res.type('text/plain');
    for (const chunk of ['a', 'b', 'c']) {
      res.write(chunk);
      await sleep(60);
    }
    res.end();
  });
  app.get('/slow', async (_req, res) => {
    const closed = new Promise((r) => res.on('close', r));
    started();
    await closed;
    res.send('late');
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  const server = createServer(app);
  const url = await listenOn(server);
  return { url, close: () => closeServer(server) };
});

describe('Express route templates', () => {
  it('joins sub-app mounts, routers mounted twice and "/" routes under a mount', async () => {
    const http = httpMetrics();
    const host = createTestHost({ plugins: [http] });
    const app = express();
    app.use(http.express());
    const v1 = express();
    v1.get('/items/:item', (_req, res) => {
      res.send('ok');
    });
    app.use('/v1/:tenant', v1);
    const shared = express.Router();
    shared.get('/things/:thing', (_req, res) => {
      res.send('ok');
    });
    shared.get('/', (_req, res) => {
      res.send('index');
    });
    app.use('/a', shared);
    app.use('/b/:bid', shared);
    app.get(/^\/re\/\d+$/, (_req, res) => {
      res.send('re');
    });
    const server = createServer(app);
    try {
      const url = await listenOn(server);
      for (const path of ['/v1/acme/items/1', '/v1/zen/items/2', '/a/things/1', '/b/9/things/2', '/b/8/things/3', '/a', '/b/7/', '/re/42']) {
        expect((await get(url + path)).status, path).toBe(200);
      }
      const s = await scrapeHost(host);
      const count = (route: string) => s.histogram(D, L('GET', route, '200'))?.count;
      expect(count('/v1/:tenant/items/:item')).toBe(2);
      expect(count('/a/things/:thing')).toBe(1);
      expect(count('/b/:bid/things/:thing')).toBe(2);
      expect(count('/a')).toBe(1);
      expect(count('/b/:bid')).toBe(1);
      expect(count('/^\\/re\\/\\d+$/')).toBe(1);
      expect(s.seriesCount(D)).toBe(6);
    } finally {
      await closeServer(server);
      await host.close();
    }
  });

  it('keeps a response sent by middleware before any route as __unmatched__', async () => {
    const http = httpMetrics();
    const host = createTestHost({ plugins: [http] });
    const app = express();
    app.use(http.express());
    app.use('/private', (_req, res) => {
      res.status(401).send('no');
    });
    app.get('/private/data/:id', (_req, res) => {
      res.send('secret');
    });
    const server = createServer(app);
    try {
      const url = await listenOn(server);
      expect((await get(`${url}/private/data/1`)).status).toBe(401);
      const s = await scrapeHost(host);
      expect(s.histogram(D, L('GET', '__unmatched__', '401'))?.count).toBe(1);
    } finally {
      await closeServer(server);
      await host.close();
    }
  });
});

describe('Express adapter and the timing made at request start', () => {
  it('records once, under the outer adapter, when a wrapped server runs an app using http.express()', async () => {
    const http = httpMetrics();
    const host = createTestHost({ plugins: [http] });
    const app = express();
    app.use(http.express());
    app.get('/users/:id', (_req, res) => {
      res.send('ok');
    });
    const server = createServer(http.wrap(app as unknown as (req: IncomingMessage, res: ServerResponse) => void, '/outer'));
    try {
      const url = await listenOn(server);
      for (const id of ['1', '2']) expect((await get(`${url}/users/${id}`)).status).toBe(200);
      const s = await scrapeHost(host);
      expect(s.histogram(D, L('GET', '/outer', '200'))?.count).toBe(2);
      expect(s.seriesCount(D)).toBe(1);
      expect(s.value('http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
    } finally {
      await closeServer(server);
      await host.close();
    }
  });

  it('leaves requests to servers without an adapter unrecorded', async () => {
    const http = httpMetrics();
    const host = createTestHost({ plugins: [http] });
    http.express(); // made, never mounted: the request-start subscriber is on
    const server = createServer((_req, res) => res.end('plain'));
    try {
      const url = await listenOn(server);
      expect((await get(url)).status).toBe(200);
      const s = await scrapeHost(host);
      expect(s.seriesCount(D)).toBe(0);
      expect(s.value('http_server_active_requests', { http_request_method: 'GET' }) ?? 0).toBe(0);
    } finally {
      await closeServer(server);
      await host.close();
    }
  });
});
