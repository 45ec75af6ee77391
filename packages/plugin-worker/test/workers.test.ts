/**
 * workers: two build-worker CHILD PROCESSES (test/fixtures/worker.mjs) move artifacts to each other
 * over loopback HTTP, announce themselves to a service-discovery list served here, and a real
 * Prometheus (Debian's `prometheus`, started by this test on loopback ports) finds them through
 * `http_sd_configs` and scrapes their token-protected /metrics.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeUrl, type Scrape } from '@metricore/framework/testing';
import { serviceDiscovery, type TargetGroup } from '../src/index.js';
import { mustSkip, tool, waitFor } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
const TOKEN = 'worker-metrics-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const TIMEOUT_MS = 1500;

interface Worker {
  id: string;
  child: ChildProcess;
  metricsUrl: string;
  artifactUrl: string;
  messages: Array<Record<string, unknown>>;
}

const sd = serviceDiscovery({ timeoutMs: TIMEOUT_MS });
let sdServer: Server;
let sdUrl: string;
const workers: Worker[] = [];
let prometheus: ChildProcess | undefined;
let promApi: string | undefined;
let promDir: string | undefined;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function next(w: Worker, type: string): Promise<Record<string, unknown>> {
  return waitFor(() => {
    const error = w.messages.find((m) => m.type === 'error');
    if (error) throw new Error(`${w.id}: ${String(error.message)}`);
    const i = w.messages.findIndex((m) => m.type === type);
    return i < 0 ? undefined : w.messages.splice(i, 1)[0];
  }, `${w.id} to send "${type}"`);
}

async function startWorker(id: string): Promise<Worker> {
  const child = fork(FIXTURE, [], { env: { ...process.env, WORKER_ID: id, METRICS_TOKEN: TOKEN, ANNOUNCE_URL: `${sdUrl}announce` }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const w: Worker = { id, child, metricsUrl: '', artifactUrl: '', messages: [] };
  child.on('message', (m) => w.messages.push(m as Record<string, unknown>));
  workers.push(w);
  const ready = await next(w, 'ready');
  w.metricsUrl = String(ready.metricsUrl);
  w.artifactUrl = String(ready.artifactUrl);
  return w;
}

async function pull(into: Worker, from: Worker, bytes: number, org: string): Promise<void> {
  into.child.send({ cmd: 'pull', url: `${from.artifactUrl}/artifacts/${bytes}`, peer: from.id, org });
  expect((await next(into, 'pulled')).bytes).toBe(bytes);
}

beforeAll(async () => {
  // The server side: the application's own announce route feeds the list; GET /targets serves it to Prometheus.
  sdServer = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/announce') {
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
      return;
    }
    if (req.url === '/targets') return sd.handler(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => sdServer.listen(0, '127.0.0.1', resolve));
  sdUrl = `http://127.0.0.1:${(sdServer.address() as AddressInfo).port}/`;
  await Promise.all([startWorker('worker-a'), startWorker('worker-b')]);
});

afterAll(async () => {
  const exits: Array<Promise<unknown>> = [];
  for (const p of [prometheus, ...workers.map((w) => w.child)]) {
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) continue;
    exits.push(once(p, 'exit'));
    p.kill('SIGTERM');
  }
  await Promise.all(exits);
  if (promDir) rmSync(promDir, { recursive: true, force: true });
  sdServer?.closeAllConnections();
  await new Promise((resolve) => sdServer?.close(resolve));
});

describe('two worker processes', () => {
  it('count the exact bytes and transfers of pulls over loopback HTTP, on both ends', async () => {
    const [a, b] = workers;
    const big = 10 * 1024 * 1024 + 123; // Three 4 MiB-at-most chunks on the sending side.
    await pull(a, b, big, 'acme');
    await pull(b, a, 4096, 'nixos');
    const end = (w: Worker, check: (s: Scrape) => boolean) =>
      waitFor(async () => {
        const s = await scrapeUrl(w.metricsUrl, AUTH);
        return check(s) ? s : undefined;
      }, `${w.id}'s transfers to end`);
    const pushDone = (s: Scrape) => s.value('worker_transfers_active', { direction: 'push', transport: 'direct' }) === 0;
    const sa = await end(a, pushDone);
    const sb = await end(b, pushDone);

    expect(sa.value('worker_transfer_bytes_total', { direction: 'pull', transport: 'direct', peer: 'worker-b', org: 'acme' })).toBe(big);
    expect(sa.value('worker_transfers_total', { direction: 'pull', transport: 'direct', outcome: 'ok', peer: 'worker-b', org: 'acme' })).toBe(1);
    expect(sa.histogram('worker_transfer_size_bytes', { direction: 'pull', transport: 'direct', outcome: 'ok' })!.sum).toBe(big);
    expect(sb.value('worker_transfer_bytes_total', { direction: 'push', transport: 'direct', peer: 'worker-a', org: 'acme' })).toBe(big);
    expect(sb.value('worker_transfers_total', { direction: 'push', transport: 'direct', outcome: 'ok', peer: 'worker-a', org: 'acme' })).toBe(1);
    // The sender wrote 4 MiB, 4 MiB and the rest: three chunks.
    expect(sb.histogram('worker_transfer_chunk_seconds', { direction: 'push', transport: 'direct' })!.count).toBe(3);

    expect(sb.value('worker_transfer_bytes_total', { direction: 'pull', transport: 'direct', peer: 'worker-a', org: 'nixos' })).toBe(4096);
    expect(sa.value('worker_transfer_bytes_total', { direction: 'push', transport: 'direct', peer: 'worker-b', org: 'nixos' })).toBe(4096);
    expect(sa.value('worker_transfers_total', { direction: 'push', transport: 'direct', outcome: 'ok', peer: 'worker-b', org: 'nixos' })).toBe(1);

    // Each pull held one of two slots while it ran and recorded its queue wait.
    expect(sa.value('worker_build_slots_max')).toBe(2);
    expect(sa.value('worker_build_slots_used')).toBe(0);
    expect(sa.histogram('worker_job_queue_wait_seconds', { org: 'acme' })).toMatchObject({ count: 1, sum: 0.5 });
  });

  it('protect /metrics with the endpoint token', async () => {
    const res = await fetch(workers[0].metricsUrl);
    expect(res.status).toBe(401);
  });

  it('are listed by the service-discovery endpoint in http_sd format', async () => {
    const res = await fetch(`${sdUrl}targets`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const list = (await res.json()) as TargetGroup[];
    expect(list).toEqual(
      workers.map((w) => ({ targets: [new URL(w.metricsUrl).host], labels: { pool: 'x86_64-linux', worker: w.id } })),
    );
  });

  const promBin = tool('prometheus');
  it.skipIf(mustSkip(promBin))('are found and scraped by a real Prometheus through http_sd_configs (up == 1 for each)', async () => {
    expect(promBin, 'prometheus is not installed (Debian package "prometheus"); CI must install it').toBeDefined();
    promDir = mkdtempSync(join(tmpdir(), 'metricore-worker-prom-'));
    const port = await freePort();
    // JSON is YAML: the config is written as JSON.
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
      scrape_configs: [
        {
          job_name: 'build-workers',
          authorization: { type: 'Bearer', credentials: TOKEN },
          http_sd_configs: [{ url: `${sdUrl}targets`, refresh_interval: '1s' }],
        },
      ],
    };
    writeFileSync(join(promDir, 'prometheus.yml'), JSON.stringify(config, null, 2));
    const log: string[] = [];
    prometheus = spawn(
      promBin!,
      [`--config.file=${join(promDir, 'prometheus.yml')}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(promDir, 'data')}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr!.on('data', (c) => log.push(String(c)));
    const api = (promApi = `http://127.0.0.1:${port}/api/v1`);
    const query = async (q: string) => {
      const res = await fetch(`${api}/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
      if (res?.status !== 200) return undefined;
      return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    };
    try {
      const up = await waitFor(async () => {
        if (prometheus!.exitCode !== null) throw new Error(`prometheus exited: ${log.join('')}`);
        const r = await query('up{job="build-workers"}');
        return r && r.length === 2 && r.every((s) => s.value[1] === '1') ? r : undefined;
      }, 'Prometheus to scrape both workers with up == 1', 45_000);
      expect(up.map((s) => s.metric.worker).sort()).toEqual(['worker-a', 'worker-b']);
      expect(up.map((s) => s.metric.instance).sort()).toEqual(workers.map((w) => new URL(w.metricsUrl).host).sort());
      // What Prometheus stored is what the workers counted.
      const bytes = await query('worker_transfer_bytes_total{direction="pull",peer="worker-b"}');
      expect(bytes!.map((s) => [s.metric.worker, s.value[1]])).toEqual([['worker-a', String(10 * 1024 * 1024 + 123)]]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nprometheus log:\n${log.join('').slice(-3000)}`);
    }
  });

  it('drop from the list a worker that stops announcing, after the timeout', async () => {
    const b = workers[1];
    b.child.send({ cmd: 'stop-announcing' });
    await next(b, 'stopped');
    const list = await waitFor(async () => {
      const l = (await (await fetch(`${sdUrl}targets`)).json()) as TargetGroup[];
      return l.length === 1 ? l : undefined;
    }, 'worker-b to leave the list');
    expect(list[0].labels.worker).toBe('worker-a');
    // A running Prometheus follows: its next refresh of the list drops worker-b's target.
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const active = await waitFor(async () => {
        const res = await fetch(`${promApi}/targets?state=active`).catch(() => undefined);
        if (res?.status !== 200) return undefined;
        const targets = ((await res.json()) as { data: { activeTargets: Array<{ labels: Record<string, string> }> } }).data.activeTargets;
        return targets.length === 1 ? targets : undefined;
      }, 'Prometheus to drop worker-b');
      expect(active[0].labels.worker).toBe('worker-a');
    }
    // The other keeps announcing, so it stays past several timeouts.
    const after = performance.now();
    await waitFor(() => (performance.now() - after > 2 * TIMEOUT_MS ? true : undefined), 'two timeouts to pass');
    expect(sd.targets().map((g) => g.labels.worker)).toEqual(['worker-a']);
  });
});
