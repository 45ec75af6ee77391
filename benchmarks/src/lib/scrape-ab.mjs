/**
 * scrape-ab: servers compared request by request, interleaved (A B A B ...), on a shared machine
 * where a run of one and then a run of the other would see different loads (issue #16). Not used
 * by the runner; run by hand, e.g.
 *
 *   node benchmarks/src/lib/scrape-ab.mjs --series 100000 --reps 10 \
 *     --servers 'metricore,pre-rendered body, sliced' [--encoding identity]
 *
 * Each server is lib/scrape-server.mjs (a process of its own, probe windows over IPC, the same as
 * scrape.bench.mjs); `--servers` also takes `metricore@/path/to/worktree` to serve a metricore
 * built elsewhere (the server file of that tree is forked, so its framework and core are used).
 * The client is curl (lib/curl-client.mjs). After every request the same probe runs as long with
 * no request ("idle"): what the machine shows anyway at that moment. Per request: total ms, worst
 * block, the idle probe's worst, the server JS thread's time on a CPU and waiting for one, the
 * machine's steal during the window and the load average; then medians per server.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { curlOnce } from './curl-client.mjs';

const flag = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const series = Number(flag('--series', 100_000));
const reps = Number(flag('--reps', 10));
const encoding = flag('--encoding', 'identity');
// Server names contain commas ("pre-rendered body, sliced"), so the list is split on commas not followed by a space.
const servers = flag('--servers', 'metricore,pre-rendered body, sliced').split(/,(?! )/);

function nextMessage(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.type !== type) return;
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(m);
    };
    const onExit = (code) => reject(new Error(`server exited (${code}) while waiting for "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const started = [];
for (const spec of servers) {
  const [library, tree] = spec.split('@');
  const file = tree ? `${tree}/benchmarks/src/lib/scrape-server.mjs` : new URL('./scrape-server.mjs', import.meta.url);
  const child = fork(file, [library, String(series)], { execArgv: ['--expose-gc'] });
  const { url } = await nextMessage(child, 'ready');
  started.push({ spec, child, url, rows: [] });
}
for (const s of started) await curlOnce(s.url, encoding); // warm-up
// --pause-ms: waits after the warm-up (which starts each server's libuv pool), e.g. to renice a
// server's threads from outside for an experiment; the servers' pids are printed first.
console.log(`servers: ${started.map((s) => `${s.spec}=${s.child.pid}`).join(' ')}`);
await new Promise((resolve) => setTimeout(resolve, Number(flag('--pause-ms', 0))));
console.log(`${new Date().toISOString()} ${series} series, ${encoding}, ${reps} rounds of ${started.map((s) => s.spec).join(' | ')}`);
for (let i = 0; i < reps; i++) {
  // Alternate which server goes first, so neither always follows the other's idle window.
  const order = i % 2 ? [...started].reverse() : started;
  for (const s of order) {
    const r = await curlOnce(s.url, encoding, async () => {
      s.child.send('start');
      await nextMessage(s.child, 'started');
    });
    s.child.send('stop');
    const f = await nextMessage(s.child, 'stopped');
    s.child.send('start');
    await nextMessage(s.child, 'started');
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(20, r.ms))));
    s.child.send('stop');
    const idle = await nextMessage(s.child, 'stopped');
    const row = { ms: r.ms, worst: f.worstBlockMs, idle: idle.worstBlockMs, onCpu: f.onCpuMs, wait: f.waitCpuMs, steal: f.stealMs, idleSteal: idle.stealMs, load: loadavg() };
    s.rows.push(row);
    console.log(
      `${new Date().toISOString().slice(11, 23)} ${s.spec.padEnd(28)} ${r.ms.toFixed(1).padStart(6)} ms  worst ${row.worst.toFixed(2).padStart(6)}  idle ${row.idle.toFixed(2).padStart(6)}  ` +
        `JS on CPU ${row.onCpu?.toFixed(1)} waiting ${row.wait?.toFixed(1)}  steal ${row.steal} (idle ${row.idleSteal}) ms  load ${row.load}`,
    );
  }
}
for (const s of started) {
  const col = (k) => s.rows.map((r) => r[k]);
  const over = (k, ms) => s.rows.filter((r) => r[k] > ms).length;
  console.log(
    `SUMMARY ${s.spec}: total median ${median(col('ms')).toFixed(1)} ms; worst block median ${median(col('worst')).toFixed(2)} max ${Math.max(...col('worst')).toFixed(2)} (> 5 ms: ${over('worst', 5)}/${s.rows.length}); ` +
      `idle probe median ${median(col('idle')).toFixed(2)} max ${Math.max(...col('idle')).toFixed(2)} (> 5 ms: ${over('idle', 5)}/${s.rows.length}); ` +
      `JS waiting median ${median(col('wait')).toFixed(1)} ms; steal ${col('steal').reduce((a, b) => a + b, 0)} ms over ${col('ms').reduce((a, b) => a + b, 0).toFixed(0)} ms of requests`,
  );
  s.child.send('exit');
}
