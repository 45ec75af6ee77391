/**
 * scrape: the cost of one scrape of N series x 20 buckets, per library.
 *
 * In process: every library's registry holds the scrape family (lib/scrape-family.mjs) with N
 * series; per (library, size, gzip) the scrape call's total time, the event-loop busy time
 * meanwhile (loop-probe) and the body size.
 * Over HTTP (what the targets are about): metricore's `host.listen()` endpoint and prom-client in a
 * node:http handler, each in a server process of its own (lib/scrape-server.mjs), fetched by a
 * client in another low-priority process (lib/fetch-client.mjs), plain and gzip, at 10k and 100k
 * series. Per request: total time seen by the client, the server's worst event-loop block (a 1 ms
 * timer's lateness), its busy time, its peak resident memory above the level at the start of the
 * request, and its resident memory after the request (collected) against its level before the
 * first scrape, the server JS thread's time on a CPU and waiting for one (schedstat), and the
 * machine's steal time (a VM's vCPUs held off by the hypervisor, /proc/stat). After each request the same probe runs as long with no request: the lateness the
 * machine shows anyway (on a shared VM a 1 ms timer is often 2-4 ms late with nothing to do).
 *
 * A focused rerun by hand (not used by the runner, which passes no such flags), e.g. only the
 * 100k-series plain case of issue #16 with curl, metricore alone (~1 min):
 *
 *   node --expose-gc benchmarks/src/scrape.bench.mjs --http-only --http-series 100000 \
 *     --libraries metricore --encodings identity --clients curl --reps 5 --out /tmp/scrape.json
 *
 * `--http-only` skips the in-process table, `--http-series` picks sizes, `--libraries` servers,
 * `--encodings identity,gzip` the bodies (env SCRAPE_ENCODINGS the same), `--clients curl,node:http`
 * the clients, `--reps` the probed requests per client (default 5, at 100k too). For what the late
 * timers are (GC, writes, steal, the scheduler), see lib/scrape-trace.mjs.
 */
import { fork } from 'node:child_process';
import { CURL_CLIENT, curlOnce } from './lib/curl-client.mjs';
import { setPriority } from 'node:os';
import { logUniformValues } from './lib/inputs.mjs';
import { measureBlock } from './lib/loop-probe.mjs';
import { PEER_NAMES, createPeer } from './lib/peers.mjs';
import { fillScrapeFamily, PRE_RENDERED } from './lib/scrape-family.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

/** NODE_CLIENT: the name of the node:http client (lib/fetch-client.mjs) in results. */
const NODE_CLIENT = 'node:http';

/**
 * HTTP_LIBRARIES: the servers compared over HTTP. The pre-rendered reference does no work per
 * request: its time is what the client process and the socket allow (the Node client spends
 * 17-22 ms of CPU reading a 25 MB body, mostly in its HTTP parser, whichever server sends it).
 */
const HTTP_LIBRARIES = ['metricore', 'prom-client', PRE_RENDERED];

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

/** nextMessage: the next IPC message of `child` of the given type (rejects if the child exits first). */
function nextMessage(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.type !== type) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`child exited (${code}) while waiting for "${type}"`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * HTTP_CLIENTS: the clients every server is fetched with, each request by each in turn. curl (a C
 * program, like Prometheus a compiled one) is the client the targets are judged with; the Node
 * client (node:http) is kept beside it: it costs 17-22 ms of CPU per 25 MB body, so its rows show
 * how much a client of that cost hides of the server's speed.
 */
const HTTP_CLIENTS = [CURL_CLIENT, NODE_CLIENT];

let client;
/**
 * fetchOnce: one request with client `name`: `{ ms, bytes }`, request to last byte. `ready()` is
 * awaited once the client is up, right before the request is sent (the server's probe opens there).
 */
async function fetchOnce(url, encoding, name, ready = () => undefined) {
  if (name === CURL_CLIENT) return curlOnce(url, encoding, ready);
  await ready();
  if (client === undefined) {
    client = fork(new URL('./lib/fetch-client.mjs', import.meta.url));
    setPriority(client.pid, 19);
  }
  return new Promise((resolve, reject) => {
    const fail = (error) => reject(error);
    client.once('error', fail);
    client.once('message', (m) => {
      client.off('error', fail);
      resolve({ ms: m.ms[0], bytes: m.bytes });
    });
    client.send({ url, reps: 1, encoding });
  });
}

/** overHttp: one library's server with `series` series; per encoding, `reps` probed requests after a warm-up. */
async function overHttp(library, series, reps, { encodings = ['identity', 'gzip'], clients = HTTP_CLIENTS } = {}) {
  const server = fork(new URL('./lib/scrape-server.mjs', import.meta.url), [library, String(series)], { execArgv: ['--expose-gc'] });
  try {
    const { url, baselineRssBytes } = await nextMessage(server, 'ready');
    const rows = [];
    for (const encoding of encodings) {
      const figures = new Map(clients.map((c) => [c, { total: [], worst: [], busy: [], peakGrowth: [], after: [], idle: [], onCpu: [], waitCpu: [], steal: [], bytes: 0 }]));
      for (const c of clients) await fetchOnce(url, encoding, c); // warm-up
      // The clients take turns request by request, so each pair of rows saw the same machine.
      for (let i = 0; i < reps; i++) {
        for (const c of clients) {
          const fig = figures.get(c);
          const result = await fetchOnce(url, encoding, c, async () => {
            server.send('start');
            await nextMessage(server, 'started');
          });
          server.send('stop');
          const f = await nextMessage(server, 'stopped');
          fig.total.push(result.ms);
          fig.bytes = result.bytes;
          fig.worst.push(f.worstBlockMs);
          fig.busy.push(f.busyMs);
          if (f.onCpuMs !== undefined) {
            fig.onCpu.push(f.onCpuMs);
            fig.waitCpu.push(f.waitCpuMs);
          }
          if (f.stealMs !== undefined) fig.steal.push(f.stealMs);
          if (f.peakRssBytes !== undefined) fig.peakGrowth.push(f.peakRssBytes - f.startRssBytes);
          fig.after.push(f.settledRssBytes - baselineRssBytes);
          // The same probe with no scrape, as long (at most 500 ms): the lateness this machine shows anyway.
          server.send('start');
          await nextMessage(server, 'started');
          await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(20, result.ms))));
          server.send('stop');
          fig.idle.push((await nextMessage(server, 'stopped')).worstBlockMs);
        }
      }
      for (const [httpClient, fig] of figures) {
        const row = {
          library,
          client: httpClient,
          series,
          gzip: encoding === 'gzip',
          totalMs: summarize(fig.total),
          worstBlockMs: summarize(fig.worst),
          idleWorstBlockMs: summarize(fig.idle),
          blockedMs: summarize(fig.busy),
          onCpuMs: fig.onCpu.length ? summarize(fig.onCpu) : undefined,
          waitCpuMs: fig.waitCpu.length ? summarize(fig.waitCpu) : undefined,
          // Steal comes in 10 ms ticks: the sum over the requests says more than a median of zeros.
          stealMs: fig.steal.length ? fig.steal.reduce((a, b) => a + b, 0) : undefined,
          requestsMs: fig.total.reduce((a, b) => a + b, 0),
          peakGrowthBytes: fig.peakGrowth.length ? summarize(fig.peakGrowth) : undefined,
          afterGrowthBytes: summarize(fig.after),
          baselineRssBytes,
          bytes: fig.bytes,
        };
        const mib = (b) => (b === undefined ? '?' : `${(b / 2 ** 20).toFixed(1)} MiB`);
        log(
          `http ${library} ${series} series ${encoding}, client ${httpClient}: ${row.totalMs.median.toFixed(1)} ms, worst block ${row.worstBlockMs.median.toFixed(2)} ms ` +
            `(max ${row.worstBlockMs.max.toFixed(2)}; idle ${row.idleWorstBlockMs.median.toFixed(2)}), busy ${row.blockedMs.median.toFixed(1)} ms, ` +
            `JS thread on CPU ${row.onCpuMs?.median.toFixed(1) ?? '?'} ms, waiting for a CPU ${row.waitCpuMs?.median.toFixed(1) ?? '?'} ms, peak +${mib(row.peakGrowthBytes?.median)}, ` +
            `after +${mib(row.afterGrowthBytes.median)}, ${row.bytes} B, machine steal ${row.stealMs ?? '?'} ms over ${row.requestsMs.toFixed(0)} ms of requests; ` +
            `per request: worst [${fig.worst.map((x) => x.toFixed(2)).join(' ')}], idle [${fig.idle.map((x) => x.toFixed(2)).join(' ')}], steal [${fig.steal.join(' ')}] ms`,
        );
        rows.push(row);
      }
    }
    // The plain body's size is what the peak-memory target compares with, for both encodings.
    for (const row of rows) row.plainBytes = rows.find((r) => !r.gzip && r.client === row.client)?.bytes;
    return rows;
  } finally {
    server.send('exit');
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
  }
}

async function scrape({ quick }) {
  // In process every library renders 10k series; 100k series are measured over HTTP (metricore and prom-client).
  // For a focused rerun by hand (not used by the runner): `--http-only`, `--http-series 10000`,
  // `--libraries metricore,pre-rendered body`, `--encodings identity`, `--clients curl`, `--reps 9` (see the header).
  const flag = (name) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = process.argv.includes('--http-only') ? [] : quick ? [200] : [10_000];
  const httpSizes = flag('--http-series')?.split(',').map(Number) ?? (quick ? [1000] : [10_000, 100_000]);
  const libraries = flag('--libraries')?.split(',') ?? HTTP_LIBRARIES;
  const reps = Number(flag('--reps') ?? (quick ? 2 : 5));
  const encodings = (flag('--encodings') ?? process.env.SCRAPE_ENCODINGS)?.split(',');
  const clients = flag('--clients')?.split(',');
  const values = logUniformValues();
  const rows = [];
  for (const size of sizes) {
    for (const name of PEER_NAMES) {
      const peer = await createPeer(name, `bench-scrape-${size}`);
      fillScrapeFamily(peer, size, values);
      for (const gzip of [false, true]) {
        const r = await timeScrapes(peer, reps, gzip);
        log(`scrape ${name} ${size} series${gzip ? ' gzip' : ''}: ${r.totalMs.median.toFixed(2)} ms, loop busy ${r.blockedMs.median.toFixed(2)} ms, ${r.bytes} B`);
        rows.push({ library: name, series: size, gzip, ...r });
      }
      if (peer.host) await peer.host.close();
      if (peer.provider) await peer.provider.shutdown();
    }
  }

  const http = [];
  for (const size of httpSizes) {
    // 100k series get as many probed requests as 10k (they had 3): the worst block is a median over
    // requests, and one request caught by the VM's steal decided a median of three (wt-scrape3's
    // traces: a 9.36 ms worst block was the request with 40 ms of steal in its window).
    for (const library of libraries) http.push(...(await overHttp(library, size, reps, { encodings, clients })));
  }
  client?.kill();
  return { sizes, reps, rows, http, httpSizes, httpSeries: httpSizes[0] };
}

runScenario('scrape', scrape);
