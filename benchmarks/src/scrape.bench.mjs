/**
 * scrape: the cost of one scrape of N series x 20 buckets, per library.
 *
 * For each size every library's registry holds one histogram family with two labels and N series,
 * each with four observations. Measured per (library, size, gzip): total time of the scrape call
 * and how long the event loop was blocked meanwhile (loop-probe), body bytes.
 * Then "over HTTP" at 10k series: metricore's own endpoint against prom-client served by
 * node:http, fetched from a low-priority child process so the server's loop only serves.
 */
import { createServer } from 'node:http';
import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { logUniformValues, VALUE_MASK } from './lib/inputs.mjs';
import { measureBlock } from './lib/loop-probe.mjs';
import { PEER_NAMES, createPeer } from './lib/peers.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const METRIC = 'bench_scrape_request_duration_seconds';

/** fill: N series of the scrape family, four observations each. */
function fill(peer, n, values) {
  const h = peer.histogram(METRIC, ['route', 'code']);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const labels = { route: `/api/v1/projects/${i}/builds`, code: String(200 + (i % 5)) };
    for (let j = 0; j < 4; j++) {
      const v = values[k++ & VALUE_MASK];
      if (peer.name === 'opentelemetry') h.record(v, labels);
      else h.observe(labels, v);
    }
  }
  peer.flush();
}

const byteLength = (body) => (typeof body === 'string' ? Buffer.byteLength(body) : body.length);

async function timeScrapes(peer, reps, gzip) {
  await peer.scrape(gzip); // warm-up: JIT, lazily built caches
  const ms = [];
  const blocked = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const { result, wallMs, blockedMs } = await measureBlock(() => peer.scrape(gzip));
    ms.push(wallMs);
    blocked.push(blockedMs);
    bytes = byteLength(result);
  }
  return { totalMs: summarize(ms), blockedMs: summarize(blocked), bytes };
}

let client;
function fetchFromWorker(url, reps, encoding) {
  if (client === undefined) {
    client = fork(new URL('./lib/fetch-client.mjs', import.meta.url));
    setPriority(client.pid, 19);
  }
  return new Promise((resolve, reject) => {
    const fail = (error) => reject(error);
    client.once('error', fail);
    client.once('message', (m) => {
      client.off('error', fail);
      resolve(m);
    });
    client.send({ url, reps, encoding });
  });
}

/** overHttp: per request, total time (client side) and how long this (the server's) loop was busy. */
async function overHttp(url, reps, encoding) {
  await fetchFromWorker(url, 2, encoding); // warm-up
  const ms = [];
  const blocked = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const { result, blockedMs } = await measureBlock(() => fetchFromWorker(url, 1, encoding));
    ms.push(result.ms[0]);
    blocked.push(blockedMs);
    bytes = result.bytes;
  }
  return { totalMs: summarize(ms), blockedMs: summarize(blocked), bytes };
}

async function scrape({ quick }) {
  const sizes = quick ? [200] : [1000, 10_000, 100_000];
  const httpSize = quick ? 1000 : 10_000;
  const reps = 5;
  const values = logUniformValues();
  const rows = [];
  for (const size of sizes) {
    for (const name of PEER_NAMES) {
      const peer = await createPeer(name, `bench-scrape-${size}`);
      fill(peer, size, values);
      for (const gzip of [false, true]) {
        const r = await timeScrapes(peer, reps, gzip);
        log(`scrape ${name} ${size} series${gzip ? ' gzip' : ''}: ${r.totalMs.median.toFixed(2)} ms, loop blocked ${r.blockedMs.median.toFixed(2)} ms, ${r.bytes} B`);
        rows.push({ library: name, series: size, gzip, ...r });
      }
      if (peer.host) await peer.host.close();
      if (peer.provider) await peer.provider.shutdown();
    }
  }

  // Over HTTP: metricore's endpoint against prom-client served by node:http, same series.
  const http = [];
  const metricore = await createPeer('metricore', `bench-scrape-http`);
  fill(metricore, httpSize, values);
  const { url } = await metricore.host.listen({ port: 0, host: '127.0.0.1' });
  for (const encoding of ['identity', 'gzip']) {
    const r = await overHttp(url, reps, encoding);
    log(`http metricore ${httpSize} series ${encoding}: ${r.totalMs.median.toFixed(2)} ms, loop blocked ${r.blockedMs.median.toFixed(2)} ms`);
    http.push({ library: 'metricore', series: httpSize, gzip: encoding === 'gzip', ...r });
  }
  await metricore.host.close();

  const prom = await createPeer('prom-client');
  fill(prom, httpSize, values);
  const server = createServer(async (req, res) => {
    const body = await prom.register.metrics();
    res.writeHead(200, { 'content-type': prom.register.contentType });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const promUrl = `http://127.0.0.1:${server.address().port}/metrics`;
  const r = await overHttp(promUrl, reps, 'identity');
  log(`http prom-client ${httpSize} series: ${r.totalMs.median.toFixed(2)} ms, loop blocked ${r.blockedMs.median.toFixed(2)} ms`);
  http.push({ library: 'prom-client', series: httpSize, gzip: false, ...r });
  server.close();
  client.kill();

  return { sizes, reps, rows, http, httpSeries: httpSize };
}

runScenario('scrape', scrape);
