// A build worker: a child process of the demo (a separate machine in production). It loads
// plugin-process and plugin-worker, serves /metrics and its built artifacts on 127.0.0.1, announces
// itself to the server's service-discovery route, and for each build the server sends (over IPC):
// pulls the build's input from another worker, runs a short CPU-busy build process (watched for
// its CPU and memory), and pushes the output to the server's cache, all in 4 MiB chunks.
//
// env: WORKER_ID, WORKER_SLOTS, SERVER_URL. IPC in: { type: 'build', ... }, { type: 'stop' }.
// IPC out: { type: 'ready', metricsUrl, artifactUrl }, { type: 'done', id, status, seconds, bytes }.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { MetricsHost } from '@metricore/framework';
import processMetrics from '@metricore/plugin-process';
import workerMetrics from '@metricore/plugin-worker';

const id = process.env.WORKER_ID;
const serverUrl = process.env.SERVER_URL;
const CHUNK = 4 * 1024 * 1024;
const ZEROES = Buffer.alloc(CHUNK, 7);

const processes = processMetrics({ children: { labelNames: ['org'] } });
// Transfers and queue waits by org: the same top-N as the server; build-process gauges exist only
// while a build runs (at most `slots` orgs at once).
const worker = workerMetrics({
  slots: Number(process.env.WORKER_SLOTS ?? 2),
  processes,
  labelPolicy: { peer: { topN: 16 }, org: { topN: 5, rerankIntervalMs: 2000, demotedTtl: '10m' } },
});
const host = new MetricsHost({ plugins: [processes, worker], labelPolicy: { org: { maxLength: 32 } } });

/** sendBytes: writes `size` bytes to `stream` in 4 MiB chunks, counting each in transfer `t`. */
async function sendBytes(stream, size, t) {
  for (let sent = 0; sent < size; ) {
    const n = Math.min(CHUNK, size - sent);
    sent += n;
    t.chunk(n);
    if (!stream.write(n === CHUNK ? ZEROES : ZEROES.subarray(0, n))) await once(stream, 'drain');
  }
  stream.end();
}

// GET /artifacts/<bytes>: another worker pulls a build output (here: that many bytes).
const artifacts = createServer((req, res) => {
  const size = Number(req.url.split('/')[2]) || 0;
  const t = worker.transfer({ direction: 'push', transport: 'direct', peer: String(req.headers['x-worker-id'] ?? 'unknown'), org: String(req.headers['x-org'] ?? '') });
  res.on('close', () => t.end(res.writableFinished ? 'ok' : 'aborted'));
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  sendBytes(res, size, t).catch(() => res.destroy());
});
await new Promise((resolve) => artifacts.listen(0, '127.0.0.1', resolve));
const artifactUrl = `http://127.0.0.1:${artifacts.address().port}`;
const { url: metricsUrl } = await host.listen({ port: 0 });

/** pull: fetches a peer's artifact, recording it as a pull chunk by chunk. */
function pull({ url, peer }, org) {
  const t = worker.transfer({ direction: 'pull', transport: 'direct', peer, org });
  return new Promise((resolve, reject) => {
    const fail = (error) => {
      t.end('failed');
      reject(error);
    };
    request(url, { headers: { 'x-worker-id': id, 'x-org': org } }, (res) => {
      res.on('data', (chunk) => t.chunk(chunk.length));
      res.on('end', () => resolve(t.end(res.statusCode === 200 ? 'ok' : 'failed')));
      res.on('error', fail);
    }).on('error', fail).end();
  });
}

/** push: uploads `bytes` to the server's cache (PUT /cache/:cache/nar/:path). */
function push(url, bytes, org) {
  const t = worker.transfer({ direction: 'push', transport: 'relay', peer: 'server', org });
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-length': bytes, 'x-worker-id': id } }, (res) => {
      res.resume();
      res.on('end', () => resolve(t.end(res.statusCode === 201 ? 'ok' : 'failed')));
    });
    req.on('error', (error) => {
      t.end('failed');
      reject(error);
    });
    sendBytes(req, bytes, t).catch(() => req.destroy());
  });
}

/** buildProcess: a short CPU-busy shell loop (the real thing: nix-build); exits 1 when it "fails". */
function buildProcess(iterations, fail) {
  return spawn('sh', ['-c', 'i=0; while [ $i -lt $1 ]; do i=$((i+1)); done; exit $2', 'build', String(iterations), fail ? '1' : '0'], { stdio: 'ignore' });
}

async function build(b) {
  const started = performance.now();
  const job = worker.startJob({ org: b.org, queuedAt: b.queuedAt });
  let status = 'failed_transient';
  let bytes = 0;
  try {
    if (b.input) await pull(b.input, b.org);
    const child = buildProcess(b.iterations, b.fail);
    job.watchProcess(child.pid);
    const [code] = await once(child, 'exit');
    status = code === 0 ? 'completed' : 'failed_permanent';
    if (code === 0) {
      bytes = b.outputBytes;
      await push(b.uploadUrl, bytes, b.org);
    }
  } catch {
    status = 'failed_transient';
  } finally {
    job.end();
  }
  process.send({ type: 'done', id: b.id, status, seconds: (performance.now() - started) / 1000, bytes, artifactUrl: `${artifactUrl}/artifacts/${bytes}` });
}

async function announce() {
  try {
    const res = await fetch(`${serverUrl}/api/v1/workers/announce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(worker.announcement({ id, labels: { pool: 'x86_64-linux' } })),
    });
    await res.arrayBuffer();
  } catch {
    // The server is stopping or not up yet: the next announcement retries.
  }
}
const announcer = setInterval(announce, 1000);
await announce();

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(announcer);
  artifacts.closeAllConnections();
  artifacts.close();
  await host.close();
  process.exit(0);
}
process.on('message', (m) => {
  if (m.type === 'build') build(m);
  else if (m.type === 'stop') stop();
});
process.on('disconnect', stop);
// Ctrl-C reaches the whole process group: the server stops the workers itself.
process.on('SIGINT', () => {});
process.on('SIGTERM', stop);
process.send({ type: 'ready', metricsUrl, artifactUrl });
