import Fastify from 'fastify';
import { Readable } from 'node:stream';
import { adapterSuite } from './suite.js';
import { sleep } from './support.js';

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
