/**
 * http: req/s and p99 latency of hello-world servers (node:http, Express 5, Fastify 5) without
 * metrics, with metricore's plugin-http, and with each framework's usual prom-client integration
 * (a hand-written histogram, express-prom-bundle, fastify-metrics), driven by wrk on 127.0.0.1.
 *
 * Every server runs in its own child process and all are started first; then each repetition
 * runs wrk once against every server in turn (round-robin, starting one server further along in
 * each repetition, so drift on a shared machine spreads over all variants rather than landing on
 * one, and no variant always has the same place in the order). wrk runs for a bounded time
 * (SEQUENTIAL_SECONDS, quick 1 s).
 * Where `taskset` exists, servers run on CPU 0 and wrk on CPU 1, so the load generator does not
 * steal the server's core (on 2 cores an unpinned wrk made req/s swing by up to 2x between runs).
 *
 * req/s still swings with whatever else the VM runs, and so does the CPU time of a saturated
 * server (the host's interference is billed to it). So each repetition then runs one framework's
 * variants *at the same time* (CONCURRENT_RUNS runs of CONCURRENT_SECONDS, below), all servers on
 * CPU 0 and one wrk each on CPU 1, and records every
 * server's CPU time (user + system, `process.cpuUsage()` asked over stdin around the run) over
 * the requests it served: CPU µs per request, measured under the same interference for all
 * variants. The overhead is the median over all those runs of each run's ratio to the framework's
 * server without metrics; each ratio is also kept with the servers' age at that run. The p99
 * change is paired the same way: the median over repetitions of each sequential run's p99 over
 * the bare server's p99 in the same repetition.
 *
 * Every server runs with `--no-memory-reducer`, so all variants have the same GC history. On
 * Node 20 V8's memory reducer, switched on by a full collection at startup (a larger startup
 * heap makes one likelier), runs a `Mark-Compact (reduce)` after about 100 s that leaves
 * `process.nextTick`'s stores megamorphic for good: a server that gets it pays about +35% CPU
 * per request from then on, whatever its metrics (issue #17, docs/plugins/http.md). Measuring
 * some variants before that moment and others after it compared GC histories, not metrics.
 * `--memory-reducer` keeps V8's default for every server instead.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pin, pinned, startServer } from './lib/http-server-process.mjs';
import { packageVersion } from './lib/system.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const run = promisify(execFile);

const VARIANTS = [
  ['node', 'none'],
  ['node', 'metricore'],
  ['node', 'prom-client'],
  // A bare handler in a process that loaded the framework and plugin-http and applied the plugin to a host:
  // what the process pays without the per-request work (was +6-9% on Node 20 while the host used an AsyncLocalStorage, docs/plugins/http.md).
  ['node', 'metricore-host'],
  ['express', 'none'],
  ['express', 'metricore'],
  ['express', 'express-prom-bundle'],
  ['fastify', 'none'],
  ['fastify', 'metricore'],
  ['fastify', 'fastify-metrics'],
];

/** NODE_FLAGS: what every server runs with (the same for all variants). */
const NODE_FLAGS = process.argv.includes('--memory-reducer') ? [] : ['--no-memory-reducer'];

/**
 * REPEATS, SEQUENTIAL_SECONDS, CONCURRENT_RUNS, CONCURRENT_SECONDS: repetitions, the length of each
 * sequential wrk run, and the side-by-side runs per framework in each repetition and their length.
 * Seven repetitions of 5 s runs put plugin-http on node:http at +5.4% CPU and Fastify at +7.9%
 * (ranges +0.8 to +12.0% and +6.3 to +12.8%) and their p99 at +11.6% and +10.8% (ranges -27 to
 * +116% and -30 to +113%), where 16-20 side-by-side runs of 3 s with a second bare and a second
 * plugin server beside them measured +2.2/+3.0% (node) and +4.8/+4.0% (Fastify), the second bare
 * server -0.3% and +1.4%, and 20 alternating pairs of 2 s runs put node's p99 at +1.0% (quartiles
 * -6.7 to +21.9%; 2026-12-04, Node 20, the same machine): seven ratios this spread could not tell
 * 2% from 5%. The scenario now takes about 10 minutes (17:00-17:10 on 2026-12-04, run alone).
 */
const REPEATS = 20;
const SEQUENTIAL_SECONDS = 2;
const CONCURRENT_RUNS = 1;
const CONCURRENT_SECONDS = 3;

const wrkArgs = (port, seconds, connections) => pinned(1, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`]);

/** wrk: one bounded run; returns req/s and p99 in ms (parsed from `--latency` output). */
function wrk(port, seconds) {
  const out = execFileSync(...wrkArgs(port, seconds, 32), { encoding: 'utf8' });
  const reqPerSec = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const [, value, unit] = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99Ms = Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit];
  if (/Non-2xx/.test(out)) throw new Error(`wrk saw non-2xx answers on port ${port}:\n${out}`);
  return { reqPerSec, p99Ms };
}

/** cpuRun: one framework's servers loaded at once (one wrk each); appends each server's CPU µs per request to `s.cpuSamples`. */
async function cpuRun(group, seconds, started, rep) {
  const ageSeconds = (performance.now() - started) / 1000;
  const before = await Promise.all(group.map((s) => s.cpu()));
  const outs = await Promise.all(group.map((s) => run(...wrkArgs(s.port, seconds, 16)).then((r) => r.stdout)));
  const after = await Promise.all(group.map((s) => s.cpu()));
  group.forEach((s, i) => {
    if (/Non-2xx/.test(outs[i])) throw new Error(`wrk saw non-2xx answers on port ${s.port}:\n${outs[i]}`);
    s.cpuSamples.push((after[i] - before[i]) / Number(/(\d+) requests in/.exec(outs[i])[1]));
    s.ages.push(ageSeconds);
    s.reps.push(rep);
  });
  log(`http ${group[0].framework} concurrent: ${group.map((s) => `${s.metrics} ${s.cpuSamples.at(-1).toFixed(2)}`).join(', ')} CPU µs/req`);
}

async function http({ quick }) {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // wrk --version exits 1 but runs; only a missing binary is a problem.
    if (error.code === 'ENOENT') return { skipped: 'wrk is not installed (Debian package "wrk")' };
  }
  const pluginBuilt = packageVersion('@metricore/plugin-http') !== null && existsSync(fileURLToPath(new URL('../../packages/plugin-http/dist/index.js', import.meta.url)));
  const variants = VARIANTS.filter(([, m]) => !m.startsWith('metricore') || pluginBuilt);
  const seconds = quick ? 1 : SEQUENTIAL_SECONDS;
  const reps = quick ? 1 : REPEATS;
  const concurrentRuns = quick ? 1 : CONCURRENT_RUNS;
  const concurrentSeconds = quick ? 1 : CONCURRENT_SECONDS;
  const servers = [];
  let started = 0;
  try {
    for (const [framework, metrics] of variants) servers.push({ framework, metrics, ...(await startServer(framework, metrics, NODE_FLAGS)), samples: [], cpuSamples: [], ages: [], reps: [] });
    started = performance.now();
    if (!quick) for (const s of servers) wrk(s.port, 1); // warm-up (JIT, connection pools)
    for (let r = 0; r < reps; r++) {
      // Each repetition starts one server further along, so no variant always runs first after the previous repetition's concurrent runs or always follows the same server.
      for (const s of servers.map((_, i) => servers[(i + r) % servers.length])) {
        s.samples.push(wrk(s.port, seconds));
        log(`http ${s.framework}/${s.metrics} rep ${r + 1}: ${s.samples.at(-1).reqPerSec.toFixed(0)} req/s, p99 ${s.samples.at(-1).p99Ms.toFixed(2)} ms`);
      }
      for (const framework of new Set(servers.map((s) => s.framework))) {
        for (let c = 0; c < concurrentRuns; c++) await cpuRun(servers.filter((s) => s.framework === framework), concurrentSeconds, started, r);
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
    cpuUsPerRequest: summarize(s.cpuSamples),
  }));
  for (const row of rows) {
    const base = rows.find((b) => b.framework === row.framework && b.metrics === 'none');
    row.baselineReqPerSec = base.reqPerSec.median;
    row.changePercent = ((row.reqPerSec.median - base.reqPerSec.median) / base.reqPerSec.median) * 100;
    row.baselineCpuUsPerRequest = base.cpuUsPerRequest.median;
    const server = servers.find((s) => s.framework === row.framework && s.metrics === row.metrics);
    const baseServer = servers.find((s) => s.framework === row.framework && s.metrics === 'none');
    const perRun = server.cpuSamples.map((us, i) => (us / baseServer.cpuSamples[i] - 1) * 100);
    row.cpuOverhead = summarize(perRun);
    row.cpuOverheadPercent = row.cpuOverhead.median;
    // Overhead against server age: each concurrent run's ratio with the servers' age at that run.
    row.byAge = perRun.map((percent, i) => ({ ageSeconds: server.ages[i], rep: server.reps[i], percent }));
    // p99 against no metrics, paired: each repetition's p99 over the bare server's p99 in the same
    // repetition (seconds apart), then the median. The bare server's own p99 swung 2-18 ms between
    // repetitions in one run, so a ratio of the two medians compared moments as much as servers.
    row.p99Change = summarize(server.samples.map((x, i) => (x.p99Ms / baseServer.samples[i].p99Ms - 1) * 100));
  }
  return { wrkSeconds: seconds, reps, concurrentRuns, concurrentSeconds, connections: 32, pinned: pin, nodeFlags: NODE_FLAGS, rows, pluginHttp: pluginBuilt ? 'measured' : 'not built: metricore rows left out' };
}

runScenario('http', http);
