// The CI-farm demo (`npm start`): an API server in the shape of a Nix-style CI server, 2+ build
// worker child processes, a load generator and a live view computed from the scraped metrics.
//
//   npm start -- [--duration 60] [--port 8080] [--workers 2] [--orgs 40] [--prometheus]
//                [--load-seconds N] (stop the load after N s, drain, keep serving until --duration)
//
// The server loads plugin-http and plugin-process from metricore.config.mjs (with the label
// policy) and plugin-builds in code: build events, and SQL counts read at scrape time from an
// embedded PGlite database holding the farm's tables. Ctrl-C stops everything, children included.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { createHostFromConfig } from '@metricore/framework';
import buildsMetrics, { SCHEMA_SQL, getHooks } from '@metricore/plugin-builds';
import { serviceDiscovery } from '@metricore/plugin-worker';
import { LoadGenerator } from './load.mjs';
import { startPrometheus } from './prometheus.mjs';
import { Orgs, Scheduler, random } from './scheduler.mjs';
import { LiveView } from './view.mjs';

let stopping = false; // Ctrl-C, SIGTERM or --duration: everything is being stopped
let loadStopped = false; // --load-seconds passed: no new evaluations
const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    port: { type: 'string', default: '8080' },
    workers: { type: 'string', default: '2' },
    orgs: { type: 'string', default: '40' },
    'load-seconds': { type: 'string' },
    prometheus: { type: 'boolean', default: false },
  },
});
function intOption(name, min) {
  const raw = args[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`ci-farm: option --${name} must be an integer >= ${min}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}
const options = {
  duration: intOption('duration', 1),
  port: intOption('port', 0),
  workers: intOption('workers', 2),
  orgs: intOption('orgs', 6),
  loadSeconds: intOption('load-seconds', 1),
};

// The CI server's database (PostgreSQL in production: pass a pg Pool as the client instead).
const db = await PGlite.create();
await db.exec(SCHEMA_SQL);
// Every write goes through one chain, in order; a failed write is reported and the demo goes on.
let writes = Promise.resolve();
const write = (sql, params) => (writes = writes.then(() => db.query(sql, params)).catch((error) => console.error(`ci-farm: database write failed: ${error.message}`)));
const rnd = random(42);
const orgs = new Orgs(options.orgs, rnd);
const PROJECTS = ['nixpkgs', 'website', 'infra'];
for (const [i, org] of orgs.names.entries()) {
  await db.query('INSERT INTO organization (id, name) VALUES ($1, $2)', [i + 1, org]);
  for (const [j, project] of PROJECTS.entries()) await db.query('INSERT INTO project (id, organization, name) VALUES ($1, $2, $3)', [i * PROJECTS.length + j + 1, i + 1, project]);
}
const CACHES = ['main', 'nixpkgs', 'team-a', 'team-b', 'team-c'];
for (const cache of CACHES) await db.query('INSERT INTO cache (name) VALUES ($1)', [cache]);
const projectId = (org, project) => orgs.names.indexOf(org) * PROJECTS.length + PROJECTS.indexOf(project) + 1;

const host = await createHostFromConfig(here, { plugins: [buildsMetrics({ sql: { client: db, minIntervalMs: 1000 } })] });
const http = host.getPlugin('@metricore/plugin-http');
const events = getHooks(host);
// Workers announce every second; 15 s of silence (a loaded machine, a blocked loop) before one leaves the list.
const sd = serviceDiscovery({ timeoutMs: 15_000 });

// What the simulator itself counts (never shown by the live view, which reads /metrics only).
const counts = { evaluations: 0, builds: 0, finished: 0, byStatus: {} };
const builds = new Map(); // id -> { org, project, evaluation, status }
const evaluations = new Map(); // id -> { org, project, builds: [] }
const outputs = []; // artifacts built so far: later builds pull some of them from their worker

const workers = new Map(); // id -> { child, metricsUrl, artifactUrl }
const scheduler = new Scheduler((build, workerId) => {
  const now = performance.now();
  const wait = (now - build.queuedAt) / 1000;
  events.buildDispatched.call({ org: build.org, waitSeconds: wait });
  build.dispatchWait = wait;
  write(`UPDATE build SET status = 'building', updated_at = now() WHERE id = $1`, [build.id]);
  const input = outputs.length > 0 && rnd() < 0.6 ? outputs[Math.floor(rnd() * outputs.length)] : undefined;
  const cache = CACHES[Math.floor(rnd() ** 2 * CACHES.length)];
  workers.get(workerId).child.send({
    type: 'build',
    id: build.id,
    org: build.org,
    queuedAt: Date.now() - wait * 1000,
    input: input && input.worker !== workerId ? { url: input.url, peer: input.worker } : undefined,
    iterations: 10_000 + Math.floor(rnd() * 80_000),
    fail: rnd() < 0.1,
    outputBytes: 256 * 1024 + Math.floor(rnd() * 9 * 1024 * 1024),
    uploadUrl: `${api}/cache/${cache}/nar/${build.id.toString(36)}.nar`,
  });
  schedulerChanged();
});
const schedulerChanged = () => events.schedulerChanged.call({ pending: scheduler.queue.length, active: scheduler.running.size, workers: sd.targets().length });

function buildDone(workerId, { id, status, seconds, bytes, artifactUrl }) {
  const build = scheduler.finished(id);
  if (build === undefined) return;
  build.status = status;
  counts.finished++;
  counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
  if (bytes > 0) outputs.push({ worker: workerId, url: artifactUrl }), outputs.length > 50 && outputs.shift();
  write(`UPDATE build SET status = $2, build_time_ms = $3, updated_at = now() WHERE id = $1`, [id, status, Math.round(seconds * 1000)]);
  events.buildFinished.call({ org: build.org, project: build.project, status, durationSeconds: seconds });
  schedulerChanged();
  drained();
}

// An evaluation takes a moment, then queues 1-4 builds.
let nextEvaluation = 1;
let nextBuild = 1;
function evaluate(org, project) {
  const evaluation = { id: nextEvaluation++, org, project, builds: [], status: 'evaluating_derivation' };
  evaluations.set(evaluation.id, evaluation);
  counts.evaluations++;
  write(`INSERT INTO evaluation (id, project, status) VALUES ($1, $2, 'evaluating_derivation')`, [evaluation.id, projectId(org, project)]);
  const started = performance.now();
  setTimeout(() => {
    evaluation.status = 'completed';
    write(`UPDATE evaluation SET status = 'completed', updated_at = now() WHERE id = $1`, [evaluation.id]);
    events.evaluationFinished.call({ org, project, status: 'completed', durationSeconds: (performance.now() - started) / 1000 });
    for (let i = 1 + Math.floor(rnd() * 4); i > 0; i--) {
      const build = { id: nextBuild++, org, project, evaluation: evaluation.id, status: 'queued', queuedAt: performance.now() };
      builds.set(build.id, build);
      evaluation.builds.push(build.id);
      counts.builds++;
      write(`INSERT INTO build (id, evaluation, status) VALUES ($1, $2, 'queued')`, [build.id, evaluation.id]);
      scheduler.enqueue(build);
    }
    schedulerChanged();
    // The API answers for recent builds and evaluations only: a long run keeps memory flat.
    if (builds.size > 5000) for (const key of [...builds.keys()].slice(0, 1000)) builds.delete(key);
    if (evaluations.size > 2000) for (const [key, e] of [...evaluations].slice(0, 500)) if (e.status === 'completed') evaluations.delete(key);
  }, 20 + rnd() * 200);
  return evaluation;
}
const evaluationsPending = () => [...evaluations.values()].filter((e) => e.status !== 'completed').length;

// The API: a small router that tells plugin-http which route template matched.
const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const notFound = (res, what) => json(res, 404, { error: `${what} not found` });
const routes = [
  ['GET', '/api/v1/orgs/:org', (req, res, p) => (orgs.names.includes(p.org) ? json(res, 200, { name: p.org, projects: PROJECTS }) : notFound(res, 'org'))],
  ['GET', '/api/v1/projects/:org/:project', (req, res, p) => (PROJECTS.includes(p.project) ? json(res, 200, { org: p.org, name: p.project }) : notFound(res, 'project'))],
  ['POST', '/api/v1/projects/:org/:project/evaluations', (req, res, p) => {
    if (!orgs.names.includes(p.org) || !PROJECTS.includes(p.project)) return notFound(res, 'project');
    if (stopping || loadStopped) return json(res, 503, { error: 'not accepting evaluations' });
    json(res, 202, { evaluation: evaluate(p.org, p.project).id });
  }],
  ['GET', '/api/v1/evals/:evaluation', (req, res, p) => {
    const e = evaluations.get(Number(p.evaluation));
    return e ? json(res, 200, { id: e.id, org: e.org, project: e.project, status: e.status }) : notFound(res, 'evaluation');
  }],
  ['GET', '/api/v1/evals/:evaluation/builds', (req, res, p) => {
    const e = evaluations.get(Number(p.evaluation));
    return e ? json(res, 200, e.builds.map((id) => ({ id, status: builds.get(id)?.status }))) : notFound(res, 'evaluation');
  }],
  ['GET', '/api/v1/builds/:build', (req, res, p) => {
    const b = builds.get(Number(p.build));
    return b ? json(res, 200, { id: b.id, org: b.org, status: b.status }) : notFound(res, 'build');
  }],
  ['GET', '/api/v1/builds/:build/log', (req, res, p) => {
    if (!builds.has(Number(p.build))) return notFound(res, 'build');
    // The log streams for a while; the load generator gives up on some of these (aborted requests).
    res.writeHead(200, { 'content-type': 'text/plain' });
    let lines = 0;
    const timer = setInterval(() => {
      res.write(`building... step ${++lines}\n`);
      if (lines === 10) clearInterval(timer), res.end();
    }, 15);
    res.on('close', () => clearInterval(timer));
  }],
  ['GET', '/api/v1/caches/:cache/stats', (req, res, p) => (CACHES.includes(p.cache) ? json(res, 200, { cache: p.cache }) : notFound(res, 'cache'))],
  ['GET', '/cache/:cache/nar/:path', (req, res, p) => {
    if (!CACHES.includes(p.cache) || rnd() < 0.15) return notFound(res, 'nar');
    const bytes = 16 * 1024 + Math.floor(rnd() * 256 * 1024);
    // Served NARs land in the per-minute traffic table the SQL source reads.
    write(
      `INSERT INTO cache_metric (cache, bucket_time, bytes_sent, nar_count) SELECT id, date_trunc('minute', now()), $2, 1 FROM cache WHERE name = $1
       ON CONFLICT (cache, bucket_time) DO UPDATE SET bytes_sent = cache_metric.bytes_sent + EXCLUDED.bytes_sent, nar_count = cache_metric.nar_count + 1`,
      [p.cache, bytes],
    );
    res.writeHead(200, { 'content-type': 'application/x-nix-nar', 'content-length': bytes }).end(Buffer.alloc(bytes));
  }],
  ['PUT', '/cache/:cache/nar/:path', (req, res, p) => {
    let bytes = 0;
    req.on('data', (chunk) => (bytes += chunk.length));
    req.on('end', () => {
      events.cacheStored.call({ cache: p.cache, bytes, packages: 1 });
      write(`INSERT INTO nar (cache, file_size, created_at) SELECT id, $2, now() FROM cache WHERE name = $1`, [p.cache, bytes]);
      res.writeHead(201).end();
    });
  }],
  ['POST', '/api/v1/workers/announce', (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        sd.announce(JSON.parse(body));
        res.writeHead(204).end();
      } catch (error) {
        res.writeHead(400).end(String(error));
      }
    });
  }],
  ['GET', '/api/v1/metrics-targets', (req, res) => sd.handler(req, res)],
].map(([method, template, handle]) => {
  const names = [];
  const pattern = new RegExp(`^${template.replace(/:(\w+)/g, (_, name) => (names.push(name), '([^/]+)'))}$`);
  return { method, template, handle, pattern, names };
});
const matched = new WeakMap();
function app(req, res) {
  if (req.url === '/metrics') return host.handler(req, res);
  const path = req.url.split('?', 1)[0];
  for (const route of routes) {
    const match = req.method === route.method && route.pattern.exec(path);
    if (match) {
      matched.set(req, route.template);
      return route.handle(req, res, Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1])])));
    }
  }
  res.writeHead(404).end('not found\n');
}
const server = createServer(http.wrap(app, (req) => matched.get(req)));
await new Promise((resolve) => server.listen(options.port, '127.0.0.1', resolve));
const api = `http://127.0.0.1:${server.address().port}`;

// The workers: child processes, each with its own /metrics, found by Prometheus through the SD list.
const workerIds = Array.from({ length: options.workers }, (_, i) => `worker-${String.fromCharCode(97 + (i % 26))}${i >= 26 ? i : ''}`);
await Promise.all(
  workerIds.map(async (id) => {
    const child = fork(fileURLToPath(new URL('./worker.mjs', import.meta.url)), [], {
      env: { ...process.env, WORKER_ID: id, WORKER_SLOTS: '2', SERVER_URL: api },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('exit', (code, signal) => {
      if (!stopping) console.error(`ci-farm: ${id} exited unexpectedly (${signal ?? code}); stopping`), stop(1);
    });
    const [ready] = await once(child, 'message');
    child.on('message', (m) => m.type === 'done' && buildDone(id, m));
    workers.set(id, { child, metricsUrl: ready.metricsUrl, artifactUrl: ready.artifactUrl });
    scheduler.addWorker(id, 2);
  }),
);

// In the workers' order (they get ready in any order).
const targets = [{ name: 'server', url: `${api}/metrics` }, ...workerIds.map((id) => ({ name: id, url: workers.get(id).metricsUrl }))];
console.log(`metricore CI-farm demo: API at ${api} (Ctrl-C to stop)`);
for (const t of targets) console.log(`  ${t.name} metrics: ${t.url}`);
console.log(`  service discovery (http_sd): ${api}/api/v1/metrics-targets`);
let prometheus;
if (args.prometheus) {
  prometheus = await startPrometheus({ server: new URL(api).host, sdUrl: `${api}/api/v1/metrics-targets` });
  console.log(prometheus.url ? `  prometheus: ${prometheus.url}` : `  ${prometheus.hint}`);
} else console.log('  (npm start -- --prometheus also starts a Prometheus on loopback when it is installed)');

const load = new LoadGenerator({ api, orgs, projects: PROJECTS, caches: CACHES, rnd, evaluations, builds });
load.start();
const view = new LiveView({ targets, tty: process.stdout.isTTY === true && process.stdout.columns > 0, topN: 5 });
view.start();

// --load-seconds: stop the load, let the farm finish its work, and say what the simulator counted.
let onDrained;
function drained() {
  if (loadStopped && onDrained && scheduler.queue.length === 0 && scheduler.running.size === 0 && evaluationsPending() === 0) onDrained();
}
if (options.loadSeconds) {
  setTimeout(() => {
    loadStopped = true;
    load.stop();
    onDrained = async () => {
      onDrained = undefined;
      await writes;
      view.note(`simulator: load stopped and drained; ${counts.finished} builds finished (${Object.entries(counts.byStatus).map(([s, n]) => `${s} ${n}`).join(', ')}), ${counts.evaluations} evaluations`);
    };
    const poll = setInterval(() => (onDrained ? drained() : clearInterval(poll)), 100);
  }, options.loadSeconds * 1000);
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  load.stop();
  view.stop();
  const exits = [...workers.values()].filter((w) => w.child.exitCode === null && w.child.signalCode === null).map((w) => {
    const exited = once(w.child, 'exit');
    w.child.send({ type: 'stop' });
    const kill = setTimeout(() => w.child.kill('SIGKILL'), 5000);
    return exited.finally(() => clearTimeout(kill));
  });
  await Promise.all([...exits, prometheus?.stop()]);
  server.closeAllConnections();
  server.close();
  await host.close();
  await writes;
  await db.close();
  console.log(`ci-farm: stopped; ${counts.finished} builds finished`);
  process.exit(code);
}
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));
if (options.duration) setTimeout(() => stop(0), options.duration * 1000);
