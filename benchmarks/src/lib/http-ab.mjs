/**
 * http-ab: hello-world servers side by side, for A/B work on plugin-http's overhead (not part of
 * `npm run bench`). Every server (lib/http-server.mjs, `--no-memory-reducer`) runs on CPU 0 and
 * one `wrk -c16` per server on CPU 1, all at once, so the VM's interference hits every variant
 * alike; each round prints each server's CPU µs per request, and the end the median of the
 * per-round ratios to the first server, with their range.
 *
 *   node benchmarks/src/lib/http-ab.mjs --rounds 20 --seconds 3 node:none node:metricore node:none node:metricore
 *
 * Give a variant twice to see the noise floor (the second bare server against the first), and
 * node:floor-channel and node:floor-clock (lib/http-server.mjs) to see what any timing built the way
 * plugin-http is pays (docs/plugins/http.md, "What a request costs").
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pinned, startServer } from './http-server-process.mjs';
import { summarize } from './stats.mjs';

const run = promisify(execFile);
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const rounds = option('--rounds', 20);
const seconds = option('--seconds', 3);
const variants = args.filter((a) => /^[a-z]+:[a-z-]+$/.test(a));
if (variants.length < 2) throw new TypeError('give at least two framework:metrics variants, e.g. node:none node:metricore');

async function start(variant) {
  const [framework, metrics] = variant.split(':');
  return { variant, ...(await startServer(framework, metrics, ['--no-memory-reducer'])), samples: [] };
}

const wrk = (port, s) =>
  run(...pinned(1, 'wrk', ['-t1', '-c16', `-d${s}s`, `http://127.0.0.1:${port}/`])).then(({ stdout }) => Number(/(\d+) requests in/.exec(stdout)[1]));

const servers = [];
try {
  for (const variant of variants) servers.push(await start(variant));
  await Promise.all(servers.map((s) => wrk(s.port, 2))); // warm-up
  for (let r = 0; r < rounds; r++) {
    const before = await Promise.all(servers.map((s) => s.cpu()));
    const requests = await Promise.all(servers.map((s) => wrk(s.port, seconds)));
    const after = await Promise.all(servers.map((s) => s.cpu()));
    servers.forEach((s, i) => s.samples.push((after[i] - before[i]) / requests[i]));
    console.log(`round ${r + 1}: ${servers.map((s) => `${s.variant} ${s.samples.at(-1).toFixed(2)}`).join('  ')} CPU µs/request`);
  }
  const [base] = servers;
  servers.forEach((s, i) => {
    const ratios = summarize(s.samples.map((us, r) => (us / base.samples[r] - 1) * 100));
    console.log(`#${i} ${s.variant}: median ${summarize(s.samples).median.toFixed(2)} µs/request; vs #0 ${ratios.median.toFixed(1)}% (${ratios.min.toFixed(1)} to ${ratios.max.toFixed(1)})`);
  });
} finally {
  for (const s of servers) s.child.kill();
}
