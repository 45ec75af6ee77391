// The CI-farm demo (npm start): an API server with per-route HTTP latency, process metrics, build /
// evaluation / scheduler / cache metrics from @metricore/plugin-builds (events, plus SQL counts read
// at scrape time from an embedded PGlite database, so nothing needs installing), tenant labels under
// a label policy, and two build-worker threads recording into the same registry.
// It drives itself with requests on 127.0.0.1, so /metrics moves while you watch.
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import { MetricsHost } from '@metricore/framework';
import httpMetrics from '@metricore/plugin-http';
import processMetrics from '@metricore/plugin-process';
import buildsMetrics, { SCHEMA_SQL, getHooks } from '@metricore/plugin-builds';
import { PGlite } from '@electric-sql/pglite';
import { defineFarmMetrics, LABEL_POLICY, REGISTRY, pickOrg, random } from './farm-metrics.mjs';

// The CI server's database (PostgreSQL in production: pass a pg Pool as the client instead).
const db = await PGlite.create();
await db.exec(SCHEMA_SQL);
// Every write goes through one chain, in order; a failed write is reported and the demo goes on.
let writes = Promise.resolve();
const write = (sql, params) => {
  writes = writes.then(() => db.query(sql, params)).catch((error) => console.error(`demo database write failed: ${error.message}`));
  return writes;
};
const projectIds = new Map();
function projectId(org, project) {
  const key = `${org}/${project}`;
  if (!projectIds.has(key)) {
    projectIds.set(key, projectIds.size + 1);
    write(`INSERT INTO organization (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [org]);
    write(`INSERT INTO project (id, organization, name) SELECT $1, id, $2 FROM organization WHERE name = $3`, [projectIds.size, project, org]);
  }
  return projectIds.get(key);
}
await write(`INSERT INTO cache (name) VALUES ('main'), ('nixpkgs')`);

const http = httpMetrics();
const host = new MetricsHost({
  registry: REGISTRY,
  plugins: [http, processMetrics({ threadLabel: true }), buildsMetrics({ sql: { client: db, minIntervalMs: 2000 } })],
  labelPolicy: LABEL_POLICY,
});
const m = defineFarmMetrics(host);
const events = getHooks(host);

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
      running.set(build.id, build);
      if (events.buildDispatched.isUsed()) events.buildDispatched.call({ org: build.org, waitSeconds: build.waitedSeconds });
      write(`UPDATE build SET status = 'building', updated_at = now() WHERE id = $1`, [build.id]);
      worker.postMessage({ id: build.id, org: build.org, project: build.project, waitedSeconds: build.waitedSeconds });
    }
  }
  if (events.schedulerChanged.isUsed()) events.schedulerChanged.call({ pending: queue.length, active: running.size, workers: workers.length });
}
const running = new Map();
for (const worker of workers) {
  worker.on('message', ({ done, status, seconds, cache, bytes }) => {
    const build = running.get(done);
    running.delete(done);
    free.set(worker, free.get(worker) + 1);
    write(`UPDATE build SET status = $2, build_time_ms = $3, updated_at = now() WHERE id = $1`, [done, status, Math.round(seconds * 1000)]);
    if (events.buildFinished.isUsed()) events.buildFinished.call({ org: build.org, project: build.project, status, durationSeconds: seconds });
    if (events.cacheStored.isUsed()) events.cacheStored.call({ cache, bytes, packages: 1 });
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
let nextEvaluation = 1;
function evaluate(req, res, org, project) {
  const seconds = 2 + Math.random() * 120;
  const evaluation = nextEvaluation++;
  write(`INSERT INTO evaluation (id, project, status) VALUES ($1, $2, 'completed')`, [evaluation, projectId(org, project)]);
  if (events.evaluationFinished.isUsed()) events.evaluationFinished.call({ org, project, status: 'completed', durationSeconds: seconds });
  for (let i = 0; i < 3; i++) {
    const id = nextId++;
    queue.push({ id, org, project, queuedAt: performance.now() });
    write(`INSERT INTO build (id, evaluation, status) VALUES ($1, $2, 'queued')`, [id, evaluation]);
  }
  schedule();
  res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ queued: 3 }));
}
function listBuilds(req, res) {
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'), Math.random() * 20);
}
function narinfo(req, res, cache) {
  const found = Math.random() < 0.8;
  // Served NARs land in the per-minute traffic table the SQL source reads (totals and 1m / 5m rates).
  if (found) write(
    `INSERT INTO cache_metric (cache, bucket_time, bytes_sent, nar_count) SELECT id, date_trunc('minute', now()), $2, 1 FROM cache WHERE name = $1
     ON CONFLICT (cache, bucket_time) DO UPDATE SET bytes_sent = cache_metric.bytes_sent + EXCLUDED.bytes_sent, nar_count = cache_metric.nar_count + 1`,
    [cache, 1000 + Math.floor(Math.random() * 100_000)],
  );
  res.writeHead(found ? 200 : 404).end(`cache ${cache}\n`);
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
  await writes;
  await db.close();
  process.exit(0);
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
if (process.env.METRICORE_DEMO_SECONDS) setTimeout(stop, Number(process.env.METRICORE_DEMO_SECONDS) * 1000);
