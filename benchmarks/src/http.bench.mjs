/**
 * http: req/s and p99 latency of hello-world servers (node:http, Express 5, Fastify 5) without
 * metrics, with metricore's plugin-http, and with each framework's usual prom-client integration
 * (a hand-written histogram, express-prom-bundle, fastify-metrics), driven by wrk on 127.0.0.1.
 *
 * Every server runs in its own child process and all are started first; then each repetition
 * runs wrk once against every server in turn (round-robin, so drift on a shared machine spreads
 * over all variants rather than landing on one). wrk runs for a bounded time (5 s, quick 1 s).
 * Where `taskset` exists, servers run on CPU 0 and wrk on CPU 1, so the load generator does not
 * steal the server's core (on 2 cores an unpinned wrk made req/s swing by up to 2x between runs).
 *
 * req/s still swings with whatever else the VM runs, so each run also records the server
 * process's CPU time (user + system, `process.cpuUsage()` asked over stdin just before and after
 * wrk) divided by the requests wrk completed: CPU µs per request, which time stolen from the
 * server does not inflate. The metrics overhead is that figure against the framework's server
 * without metrics in the same run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { packageVersion } from './lib/system.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const serverScript = fileURLToPath(new URL('./lib/http-server.mjs', import.meta.url));

const VARIANTS = [
  ['node', 'none'],
  ['node', 'metricore'],
  ['node', 'prom-client'],
  ['express', 'none'],
  ['express', 'metricore'],
  ['express', 'express-prom-bundle'],
  ['fastify', 'none'],
  ['fastify', 'metricore'],
  ['fastify', 'fastify-metrics'],
];

const pin = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const pinned = (cpu, command, args) => (pin ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args]);

function startServer(framework, metrics) {
  const child = spawn(...pinned(0, process.execPath, [serverScript, framework, metrics]), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once('line', (line) => resolve(JSON.parse(line))));
  // cpu: the server's process.cpuUsage() in µs (user + system), asked over stdin.
  const cpu = async () => {
    const answer = next();
    child.stdin.write('cpu\n');
    const { user, system } = await answer;
    return user + system;
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server ${framework}/${metrics} exited with code ${code}`)));
    next().then(({ port }) => resolve({ child, port, cpu }));
  });
}

/** wrk: one bounded run; returns req/s, requests completed and p99 in ms (parsed from `--latency` output). */
function wrk(port, seconds) {
  const out = execFileSync(...pinned(1, 'wrk', ['-t1', '-c32', `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`]), { encoding: 'utf8' });
  const reqPerSec = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const [, value, unit] = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99Ms = Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit];
  if (/Non-2xx/.test(out)) throw new Error(`wrk saw non-2xx answers on port ${port}:\n${out}`);
  return { reqPerSec, requests, p99Ms };
}

async function http({ quick }) {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // wrk --version exits 1 but runs; only a missing binary is a problem.
    if (error.code === 'ENOENT') return { skipped: 'wrk is not installed (Debian package "wrk")' };
  }
  const pluginBuilt = packageVersion('@metricore/plugin-http') !== null && existsSync(fileURLToPath(new URL('../../packages/plugin-http/dist/index.js', import.meta.url)));
  const variants = VARIANTS.filter(([, m]) => m !== 'metricore' || pluginBuilt);
  const seconds = quick ? 1 : 5;
  const reps = quick ? 1 : 5;
  const servers = [];
  try {
    for (const [framework, metrics] of variants) servers.push({ framework, metrics, ...(await startServer(framework, metrics)), samples: [] });
    if (!quick) for (const s of servers) wrk(s.port, 1); // warm-up (JIT, connection pools)
    for (let r = 0; r < reps; r++) {
      for (const s of servers) {
        const before = await s.cpu();
        const sample = wrk(s.port, seconds);
        sample.cpuUsPerRequest = ((await s.cpu()) - before) / sample.requests;
        s.samples.push(sample);
        log(`http ${s.framework}/${s.metrics} rep ${r + 1}: ${sample.reqPerSec.toFixed(0)} req/s, ${sample.cpuUsPerRequest.toFixed(2)} CPU µs/req, p99 ${sample.p99Ms.toFixed(2)} ms`);
      }
    }
  } finally {
    for (const s of servers) s.child.kill();
  }
  const rows = servers.map((s) => ({
    framework: s.framework,
    metrics: s.metrics,
    reqPerSec: summarize(s.samples.map((x) => x.reqPerSec)),
    p99Ms: summarize(s.samples.map((x) => x.p99Ms)),
    cpuUsPerRequest: summarize(s.samples.map((x) => x.cpuUsPerRequest)),
  }));
  for (const row of rows) {
    const base = rows.find((b) => b.framework === row.framework && b.metrics === 'none');
    row.baselineReqPerSec = base.reqPerSec.median;
    row.changePercent = ((row.reqPerSec.median - base.reqPerSec.median) / base.reqPerSec.median) * 100;
    row.baselineCpuUsPerRequest = base.cpuUsPerRequest.median;
    row.cpuOverheadPercent = ((row.cpuUsPerRequest.median - base.cpuUsPerRequest.median) / base.cpuUsPerRequest.median) * 100;
  }
  return { wrkSeconds: seconds, reps, connections: 32, pinned: pin, rows, pluginHttp: pluginBuilt ? 'measured' : 'not built: metricore rows left out' };
}

runScenario('http', http);
