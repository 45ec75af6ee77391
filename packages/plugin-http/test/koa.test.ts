import Koa from 'koa';
import Router from '@koa/router';
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { adapterSuite } from './suite.js';
import { closeServer, listenOn, sleep } from './support.js';

adapterSuite('Koa 3 + @koa/router', async (http, { host, started }) => {
  const app = new Koa();
  app.silent = true; // Koa logs handler errors to stderr otherwise
  app.use(http.koa());
  const router = new Router();
  router.get('/metrics', (ctx) => {
    ctx.respond = false;
    host.handler(ctx.req, ctx.res);
  });
  router.get('/users/:id', (ctx) => {
    ctx.body = 'ok';
  });
  const projects = new Router();
  projects.get('/projects/:project', (ctx) => {
    ctx.body = 'ok';
  });
  router.use('/api/orgs/:org', projects.routes());
  router.get('/stream', (ctx) => {
    async function* chunks() {
      for (const chunk of ['a', 'b', 'c']) {
        yield chunk;
        await sleep(60);
      }
    }
    ctx.type = 'text/plain';
    ctx.body = Readable.from(chunks());
  });
  router.get('/slow', async (ctx) => {
    const closed = new Promise((r) => ctx.res.on('close', r));
    started();
    await closed;
    ctx.body = 'late';
  });
  router.get('/boom', () => {
    throw new Error('boom');
  });
  app.use(router.routes());
  const server = createServer(app.callback());
  const url = await listenOn(server);
  return { url, close: () => closeServer(server) };
});
