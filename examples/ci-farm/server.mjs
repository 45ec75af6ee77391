// The CI-farm demo (npm start): an API server with per-route HTTP latency, process metrics, tenant
// labels under a label policy, and two build-worker threads recording into the same registry.
// It drives itself with requests on 127.0.0.1, so /metrics moves while you watch.
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import { MetricsHost } from '@metricore/framework';
import httpMetrics from '@metricore/plugin-http';
import processMetrics from '@metricore/plugin-process';
import { defineFarmMetrics, LABEL_POLICY, REGISTRY, pickOrg, random } from './farm-metrics.mjs';

const http = httpMetrics();
const host = new MetricsHost({ registry: REGISTRY, plugins: [http, processMetrics({ threadLabel: true })], labelPolicy: LABEL_POLICY });
const m = defineFarmMetrics(host);

// Build workers with 4 slots each.
const workers = ['worker-a', 'worker-b'].map((name) => new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { name, slots: 4 } }));
const queue = [];
const free = new Map(workers.map((w) => [w, 4]));
let nextId = 1;
function schedule() {
  for (const [worker, slots] of free) {
    while (slots > 0 && queue.length > 0 && free.get(worker) > 0) {
      const build = queue.shift();
      build.waitedSeconds = (performance.now() - build.queuedAt) / 10; // demo time: 100x
      free.set(worker, free.get(worker) - 1);
      worker.postMessage({ id: build.id, org: build.org, project: build.project, waitedSeconds: build.waitedSeconds });
    }
  }
  m.queueDepth.set(queue.length);
}
for (const worker of workers) {
  worker.on('message', () => {
    free.set(worker, free.get(worker) + 1);
    schedule();
  });
}

// The API: a tiny router that tells plugin-http which route template matched.
const routes = [
  ['POST', /^\/api\/orgs\/([^/]+)\/projects\/([^/]+)\/evaluations$/, '/api/orgs/:org/projects/:project/evaluations', evaluate],
  ['GET', /^\/api\/orgs\/([^/]+)\/projects\/([^/]+)\/builds$/, '/api/orgs/:org/projects/:project/builds', listBuilds],
  ['GET', /^\/api\/caches\/([^/]+)\/narinfo\/([^/]+)$/, '/api/caches/:cache/narinfo/:hash', narinfo],
];
const matched = new WeakMap();
function app(req, res) {
  if (req.url === '/metrics') return host.handler(req, res);
  const path = req.url.split('?', 1)[0];
  for (const [method, pattern, template, handle] of routes) {
    const match = req.method === method && pattern.exec(path);
    if (match) {
      matched.set(req, template);
      return handle(req, res, ...match.slice(1));
    }
  }
  res.writeHead(404).end('not found\n');
}
function evaluate(req, res, org, project) {
  const seconds = 2 + Math.random() * 120;
  m.evalSeconds.observe({ org, project }, seconds);
  for (let i = 0; i < 3; i++) queue.push({ id: nextId++, org, project, queuedAt: performance.now() });
  schedule();
  res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ queued: 3 }));
}
function listBuilds(req, res) {
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'), Math.random() * 20);
}
function narinfo(req, res, cache) {
  res.writeHead(Math.random() < 0.8 ? 200 : 404).end(`cache ${cache}\n`);
}

const server = createServer(http.wrap(app, (req) => matched.get(req)));
await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', resolve));
const api = `http://127.0.0.1:${server.address().port}`;
console.log(`metricore CI-farm demo: API at ${api}, metrics at ${api}/metrics (Ctrl-C to stop)`);

// Self-driving traffic: evaluations from a skewed set of orgs, cache lookups, scanner noise.
const rnd = random(42);
const traffic = setInterval(() => {
  const org = pickOrg(rnd);
  const calls = [
    fetch(`${api}/api/orgs/${org}/projects/p${Math.floor(rnd() * 20)}/evaluations`, { method: 'POST' }),
    fetch(`${api}/api/orgs/${org}/projects/p1/builds`),
    fetch(`${api}/api/caches/main/narinfo/${Math.floor(rnd() * 1e9).toString(36)}`),
    fetch(`${api}/wp-login.php?x=${rnd()}`), // a scanner: one __unmatched__ series, whatever the URL
  ];
  Promise.allSettled(calls).then((results) => Promise.all(results.map((r) => r.value?.arrayBuffer())));
}, 250);
traffic.unref();

async function stop() {
  clearInterval(traffic);
  for (const w of workers) w.postMessage('stop');
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  server.close();
  await host.close();
  process.exit(0);
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
if (process.env.METRICORE_DEMO_SECONDS) setTimeout(stop, Number(process.env.METRICORE_DEMO_SECONDS) * 1000);
