import express from 'express';
import { createServer } from 'node:http';
import { adapterSuite } from './suite.js';
import { closeServer, listenOn, sleep } from './support.js';

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
