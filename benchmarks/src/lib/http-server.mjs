/**
 * http-server: one hello-world server of the HTTP scenario, in its own process.
 *
 * `node http-server.mjs <framework> <metrics>` with framework node|express|fastify and metrics
 * none|metricore|metricore-host|prom-client|express-prom-bundle|fastify-metrics|floor-channel|floor-clock
 * (metricore-host: node only, the framework and plugin loaded and applied to a host, the handler not wrapped;
 * floor-channel and floor-clock, node only, for http-ab.mjs: what any plugin timing requests the way
 * plugin-http does pays at least, a no-op subscriber on `http.server.response.finish`, and that plus a start
 * time on the response and a second clock reading in the subscriber); listens on 127.0.0.1:0 and
 * prints `{"port": N}` on stdout. Each variant is set up the way its documentation shows.
 * Every line read on stdin is answered with one line `{"user": µs, "system": µs}` of
 * `process.cpuUsage()`, so the benchmark can divide the server's CPU time by the requests served.
 * The line `reduce` first runs a memory-reducing full collection (`Mark-Compact (reduce)`, what
 * V8's memory reducer runs on an idle server), by writing a heap snapshot to a temporary file:
 * Node 20 has no other way to ask for one. The benchmark can so give every server the same one.
 */
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';

const [framework, metrics] = process.argv.slice(2);
const HELLO = 'hello world';

async function metricorePlugin() {
  const { MetricsHost } = await import('@metricore/framework');
  const { default: httpMetrics } = await import('@metricore/plugin-http');
  const http = httpMetrics();
  const host = new MetricsHost({ plugins: [http] });
  return { http, host };
}

async function nodeServer() {
  const hello = (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(HELLO);
  };
  if (metrics === 'none') return createServer(hello);
  if (metrics === 'floor-channel' || metrics === 'floor-clock') {
    const { subscribe } = await import('node:diagnostics_channel');
    const kStart = Symbol('start');
    const clock = globalThis.performance;
    let elapsed = 0;
    if (metrics === 'floor-channel') {
      subscribe('http.server.response.finish', () => {});
      return createServer(hello);
    }
    subscribe('http.server.response.finish', ({ response }) => {
      elapsed += clock.now() - response[kStart];
    });
    return createServer((req, res) => {
      res[kStart] = clock.now();
      hello(req, res);
    });
  }
  if (metrics === 'metricore') {
    const { http } = await metricorePlugin();
    return createServer(http.wrap(hello, '/'));
  }
  if (metrics === 'metricore-host') {
    await metricorePlugin();
    return createServer(hello);
  }
  if (metrics === 'prom-client') {
    // The hand-written histogram prom-client's README suggests for a bare node:http server.
    const client = (await import('prom-client')).default;
    const histogram = new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status_code'],
    });
    return createServer((req, res) => {
      const end = histogram.startTimer();
      res.once('finish', () => end({ method: req.method, route: '/', status_code: res.statusCode }));
      hello(req, res);
    });
  }
  throw new TypeError(`node:http has no "${metrics}" variant`);
}

async function expressServer() {
  const express = (await import('express')).default;
  const app = express();
  if (metrics === 'metricore') app.use((await metricorePlugin()).http.express());
  else if (metrics === 'express-prom-bundle') {
    const promBundle = (await import('express-prom-bundle')).default;
    app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
  } else if (metrics !== 'none') throw new TypeError(`express has no "${metrics}" variant`);
  app.get('/', (req, res) => res.type('text/plain').send(HELLO));
  return createServer(app);
}

async function fastifyServer() {
  const Fastify = (await import('fastify')).default;
  let server;
  const app = Fastify({ logger: false, serverFactory: (handler) => (server = createServer(handler)) });
  if (metrics === 'metricore') await app.register((await metricorePlugin()).http.fastify());
  else if (metrics === 'fastify-metrics') {
    const fastifyMetrics = (await import('fastify-metrics')).default;
    await app.register(fastifyMetrics, { endpoint: '/metrics' });
  } else if (metrics !== 'none') throw new TypeError(`fastify has no "${metrics}" variant`);
  app.get('/', async (req, reply) => reply.type('text/plain').send(HELLO));
  await app.ready();
  return server;
}

const make = { node: nodeServer, express: expressServer, fastify: fastifyServer }[framework];
if (!make) throw new TypeError(`unknown framework "${framework}"; expected node, express or fastify`);
const server = await make();
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reduce') rmSync(writeHeapSnapshot(join(tmpdir(), `metricore-http-${process.pid}.heapsnapshot`)));
  process.stdout.write(`${JSON.stringify(process.cpuUsage())}\n`);
});

