/**
 * scrape-trace: what the late timers of a scrape are, by timestamp (issue #16). Not used by the
 * runner; run by hand, e.g.
 *
 *   node --trace-gc --expose-gc benchmarks/src/lib/scrape-trace.mjs 100000 identity 5 > trace.log
 *
 * One process serves metricore's `host.listen()` with N series of the scrape family; it fetches
 * itself with `curl` (a process of its own, `nice 19`) `reps` times, each request followed by an
 * idle window as long (no request). A 1 ms timer chain runs throughout; at every tick it reads the
 * machine's steal time (/proc/stat, per vCPU, 10 ms ticks) and the JS thread's schedstat (on a CPU,
 * waiting for one), so every late tick (lateness = interval - 1 ms, as loop-probe/process-probe)
 * comes with what happened inside it: GC pauses (PerformanceObserver 'gc': kind and duration;
 * run with --trace-gc for V8's reasons), `res.write` calls (bytes, synchronous time: the libuv
 * try-write, i.e. the writev), the loop's busy time and time in its poll (event-loop utilisation),
 * the JS thread's CPU and wait time (schedstat, which the kernel updates at its own ticks, so a
 * tick's share is approximate), and steal. PROFILE=<file> also writes a CPU profile of the windows. Prints per window the
 * worst lateness and, for every tick late by more than `LATE_MS` (env, default 2), one line.
 */
import { spawn } from 'node:child_process';
import { openSync, readSync } from 'node:fs';
import { createServer, ServerResponse } from 'node:http';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { logUniformValues } from './inputs.mjs';
import { createPeer } from './peers.mjs';
import { fillScrapeFamily } from './scrape-family.mjs';

const series = Number(process.argv[2] ?? 100_000);
const encoding = process.argv[3] ?? 'identity';
const reps = Number(process.argv[4] ?? 5);
const LATE_MS = Number(process.env.LATE_MS ?? 2);

const peer = await createPeer('metricore', `bench-scrape-trace-${series}`);
fillScrapeFamily(peer, series, logUniformValues());
const { url } = await peer.host.listen({ port: 0, host: '127.0.0.1' });

// Cheap reads of /proc files into a reused buffer (no allocation per tick beyond the string).
const buf = Buffer.alloc(8192);
const statFd = openSync('/proc/stat', 'r');
const schedFd = openSync('/proc/thread-self/schedstat', 'r');
function readProc(fd) {
  const n = readSync(fd, buf, 0, buf.length, 0);
  return buf.toString('latin1', 0, n);
}
/** Steal ms per vCPU (cpu0, cpu1, ...). */
function stealPerCpu() {
  const out = [];
  for (const line of readProc(statFd).split('\n')) {
    if (!/^cpu\d/.test(line)) continue;
    out.push(Number(line.split(' ')[8]) * 10);
  }
  return out;
}
function sched() {
  const [run, wait] = readProc(schedFd).split(' ').map(Number);
  return [run / 1e6, wait / 1e6];
}

const gcs = []; // { start, end, kind }
const GC_KIND = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration, kind: GC_KIND[e.detail?.kind ?? e.kind] ?? String(e.detail?.kind) });
}).observe({ entryTypes: ['gc'] });

const writes = []; // { start, end, bytes }
const originalWrite = ServerResponse.prototype.write;
ServerResponse.prototype.write = function write(chunk, ...rest) {
  const start = performance.now();
  const r = originalWrite.call(this, chunk, ...rest);
  writes.push({ start, end: performance.now(), bytes: chunk?.length ?? 0, full: !r });
  return r;
};

let window = null; // { name, ticks: [] }
let prev = null;
function tick() {
  const now = performance.now();
  const s = stealPerCpu();
  const [run, wait] = sched();
  const elu = performance.eventLoopUtilization();
  if (window && prev) {
    if (prev.now >= window.start) window.ticks.push({ from: prev.now, to: now, late: now - prev.now - 1, steal: s.map((v, i) => v - prev.s[i]), run: run - prev.run, wait: wait - prev.wait, busy: elu.active - prev.elu.active, polled: elu.idle - prev.elu.idle });
  }
  prev = { now, s, run, wait, elu };
  setTimeout(tick, 1);
}
setTimeout(tick, 1);

// curl first fetches this gate (answered at once, opening the window), then the scrape with
// `--next`: curl's start-up (exec, a few ms of CPU) is outside the window, as in scrape.bench.mjs.
let onGate = () => undefined;
const gate = createServer((req, res) => {
  onGate();
  res.end('go');
});
await new Promise((r) => gate.listen(0, '127.0.0.1', r));
const gateUrl = `http://127.0.0.1:${gate.address().port}/gate`;

function curl(opened = () => undefined) {
  onGate = opened;
  return new Promise((resolve, reject) => {
    const args = ['-n', '19', 'curl', '--silent', '--show-error', '--http1.1', '--output', '/dev/null', '--write-out', '-', gateUrl];
    args.push('--next', '--http1.1', '--output', '/dev/null', '--header', `accept-encoding: ${encoding}`, '--write-out', '%{size_download} %{time_pretransfer} %{time_total}', url);
    const child = spawn('nice', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const [size, pre, total] = out.trim().replace(/^-/, '').split(' ').map(Number);
      resolve({ bytes: size, ms: (total - pre) * 1000 });
    });
  });
}

const fmt = (x, d = 2) => x.toFixed(d);
// CLOCK_MONOTONIC seconds of a performance.now() value (process.hrtime is CLOCK_MONOTONIC, as the
// timestamps of `perf sched`), so a late tick can be matched with what ran on each CPU meanwhile.
const monoOffsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const mono = (ms) => ((ms + monoOffsetMs) / 1000).toFixed(6);
const loadavg = () => readProc(openSync('/proc/loadavg', 'r')).split(' ').slice(0, 3).join(' ');

function report(name, w, extra = '') {
  const worst = w.ticks.reduce((m, t) => Math.max(m, t.late), 0);
  const stealSum = w.ticks.reduce((m, t) => m + t.steal.reduce((a, b) => a + b, 0), 0);
  const elapsed = w.ticks.length ? w.ticks.at(-1).to - w.ticks[0].from : 0;
  const inWin = (e) => e.end >= w.start && e.start <= w.end;
  const wg = gcs.filter(inWin);
  const ww = writes.filter(inWin);
  const gcSummary = Object.entries(wg.reduce((m, g) => ((m[g.kind] = m[g.kind] ?? [0, 0, 0]), m[g.kind][0]++, (m[g.kind][1] += g.end - g.start), (m[g.kind][2] = Math.max(m[g.kind][2], g.end - g.start)), m), {}))
    .map(([k, [n, sum, max]]) => `${k} ${n}x sum ${fmt(sum)} max ${fmt(max)}`)
    .join(', ');
  const wd = ww.map((x) => x.end - x.start).sort((a, b) => a - b);
  const wb = ww.map((x) => x.bytes).sort((a, b) => a - b);
  console.log(
    `${new Date().toISOString()} ${name}: worst ${fmt(w.official)} ms (own chain ${fmt(worst)}), ticks ${w.ticks.length}, ${fmt(elapsed, 0)} ms, steal ${stealSum} ms, load ${loadavg()}${extra}\n` +
      `  gc: ${gcSummary || 'none'}\n` +
      `  writes: ${ww.length}, bytes median ${wb[wb.length >> 1] ?? 0} max ${wb.at(-1) ?? 0}, sync ms median ${fmt(wd[wd.length >> 1] ?? 0, 3)} p90 ${fmt(wd[Math.floor(wd.length * 0.9)] ?? 0, 3)} max ${fmt(wd.at(-1) ?? 0, 3)}, full ${ww.filter((x) => x.full).length}`,
  );
  // The worst tick split up: the JS thread on a CPU, runnable waiting for one, and asleep (the rest
  // of the interval: a timer due while the thread sleeps and fires late is the machine waking it late).
  const wt = w.ticks.reduce((m, t) => (m === null || t.late > m.late ? t : m), null);
  if (wt) {
    const interval = wt.to - wt.from;
    console.log(
      `JSON ${JSON.stringify({ name: name.split(' ')[0], startMono: Number(mono(w.start)), endMono: Number(mono(w.end)), official: w.official, worst: wt.late, loopBusy: wt.busy, inPoll: wt.polled, run: wt.run, wait: wt.wait, asleep: interval - wt.run - wt.wait, steal: wt.steal.reduce((a, b) => a + b, 0), maxRunPerTick: Math.max(...w.ticks.map((t) => t.run)), windowSteal: stealSum, ms: elapsed, gcs: wg.length, gcMaxMs: Math.max(0, ...wg.map((g) => g.end - g.start)), writeMaxMs: wd.at(-1) ?? 0, load: loadavg() })}`,
    );
  }
  for (const t of w.ticks) {
    if (t.late < LATE_MS) continue;
    const within = (e) => e.end > t.from && e.start < t.to;
    const g = gcs.filter(within).map((e) => `${e.kind} ${fmt(e.end - e.start)}`);
    const wr = writes.filter(within).map((e) => `${e.bytes}B/${fmt(e.end - e.start, 3)}`);
    console.log(
      `    late ${fmt(t.late)} at +${fmt(t.from - w.start, 1)} ms (mono ${mono(t.from)}-${mono(t.to)}): loop busy ${fmt(t.busy)} in poll ${fmt(t.polled)}, thread on CPU ${fmt(t.run)} waiting ${fmt(t.wait)}, steal [${t.steal.join(',')}], gc [${g.join(' ')}], writes [${wr.join(' ')}]`,
    );
  }
}

function open(name) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  window = { name, ticks: [], start: performance.now(), h };
}
function close() {
  const w = window;
  window = null;
  w.end = performance.now();
  w.h.disable();
  w.official = w.h.count > 0 ? Math.max(0, w.h.max / 1e6 - 1) : 0;
  return w;
}

// PROFILE=<file>: a CPU profile (inspector, 100 us sampling) of the scrape and idle windows.
let session;
if (process.env.PROFILE) {
  const { Session } = await import('node:inspector/promises');
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
}
// START_DELAY_MS: a pause before the first request, to attach strace or perf to this pid.
console.log(`ready pid ${process.pid} ${url}`);
await new Promise((r) => setTimeout(r, Number(process.env.START_DELAY_MS ?? 0)));
await curl(); // warm-up
if (session) await session.post('Profiler.start');
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));
for (let i = 0; i < reps; i++) {
  const r = await curl(() => open('scrape'));
  const w = close();
  report(`scrape ${i + 1} ${series} ${encoding}`, w, `, curl ${fmt(r.ms, 1)} ms, ${r.bytes} B`);
  gcs.length = 0;
  writes.length = 0;
  open('idle');
  await new Promise((res) => setTimeout(res, Math.min(500, Math.max(20, r.ms))));
  report(`idle ${i + 1}`, close());
  globalThis.gc?.();
  await new Promise((res) => setTimeout(res, 100));
  gcs.length = 0;
}
if (session) {
  const { profile } = await session.post('Profiler.stop');
  (await import('node:fs')).writeFileSync(process.env.PROFILE, JSON.stringify(profile));
}
await peer.host.close();
process.exit(0);
