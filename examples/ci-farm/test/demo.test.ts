/**
 * The demo `npm start` runs, end to end: the server and two worker child processes on loopback
 * ports, the load generator for a bounded time, the plain (non-TTY) live view, and a real
 * Prometheus (Debian's `prometheus`, started by the demo's --prometheus) scraping the server as a
 * static target and the workers through the server's http_sd list.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeUrl, type Scrape } from '@metricore/framework/testing';

const SERVER = fileURLToPath(new URL('../server.mjs', import.meta.url));
const TOP_N = 5; // metricore.config.mjs: org { topN: 5 }
const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
// CI installs Debian's prometheus package: only outside CI may a missing tool skip a test.
const skipPrometheus = !hasPrometheus && !process.env.CI;
const skipPromtool = !hasPromtool && !process.env.CI;

/** waitFor: polls `check` until it returns a defined value, or throws once `timeoutMs` has passed. */
async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let demo: ChildProcess;
let exited: Promise<unknown>;
const lines: string[] = [];
let stderr = '';
const line = (pattern: RegExp, what: string, timeoutMs = 30_000, from = 0) =>
  waitFor(() => {
    if (demo.exitCode !== null) throw new Error(`the demo exited (${demo.exitCode}) while waiting for ${what}: ${stderr}`);
    for (let i = from; i < lines.length; i++) {
      const m = pattern.exec(lines[i]);
      if (m) return { match: m, index: i };
    }
    return undefined;
  }, what, timeoutMs);

let urls: Record<string, string>;
let promUrl: string | undefined;
let finished: number;
let byStatus: Record<string, number>;
let drainedAt: number;

const sumBuilds = (s: Scrape) => (s.family('builds_total')?.metrics ?? []).reduce((n, m) => n + Number(m.value), 0);

beforeAll(async () => {
  const args = ['--port', '0', '--duration', '120', '--load-seconds', '15', '--orgs', '30', '--workers', '2'];
  if (hasPrometheus || process.env.CI) args.push('--prometheus');
  demo = spawn(process.execPath, [SERVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  exited = once(demo, 'exit');
  let pending = '';
  demo.stdout!.on('data', (c) => {
    const parts = (pending + String(c)).split('\n');
    pending = parts.pop()!;
    lines.push(...parts);
  });
  demo.stderr!.on('data', (c) => (stderr = (stderr + String(c)).slice(-10_000)));
  await line(/service discovery/, 'the start-up lines');
  urls = Object.fromEntries(lines.map((l) => /^\s+(\S+) metrics: (http\S+)$/.exec(l)).filter((m) => m !== null).map((m) => [m![1], m![2]]));
  if (args.includes('--prometheus')) promUrl = (await line(/^\s+prometheus: (http\S+)$/, 'the Prometheus URL')).match[1];
  // The simulator says what it finished once the load stopped and the farm drained.
  const drained = await line(/simulator: load stopped and drained; (\d+) builds finished \(([^)]*)\)/, 'the farm to drain', 60_000);
  finished = Number(drained.match[1]);
  byStatus = Object.fromEntries(drained.match[2].split(', ').map((p) => p.split(' ')).map(([s, n]) => [s, Number(n)]));
  drainedAt = drained.index;
}, 90_000);

afterAll(async () => {
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    demo.kill('SIGINT');
    await exited;
  }
});

describe('npm start (the CI-farm demo)', () => {
  it('prints the server, worker and service-discovery URLs at start, and the workers are in the http_sd list', async () => {
    expect(Object.keys(urls)).toEqual(['server', 'worker-a', 'worker-b']);
    const sd = lines.find((l) => l.includes('service discovery'))!.split(': ')[1];
    const list = (await (await fetch(sd)).json()) as Array<{ targets: string[]; labels: Record<string, string> }>;
    expect(list.map((g) => [g.labels.worker, g.targets[0]]).sort(), `the SD list; the demo's stderr: ${stderr}`).toEqual(['worker-a', 'worker-b'].map((w) => [w, new URL(urls[w]).host]));
    expect(finished).toBeGreaterThan(0);
  });

  it('prints plain lines whose figures equal a scrape taken after the farm drained', async () => {
    // The first line printed after the SQL source has read the final build table shows every build.
    const printed = await line(new RegExp(`builds=${finished} \\(`), `a printed line with builds=${finished}`, 20_000, drainedAt);
    const scrape = await scrapeUrl(urls.server);
    expect(sumBuilds(scrape)).toBe(finished);
    const shown = Object.fromEntries(/builds=\d+ \(([^)]*)\)/.exec(printed.match.input)![1].split(', ').map((p) => p.split(' ')).map(([s, n]) => [s, Number(n)]));
    const scraped: Record<string, number> = {};
    for (const m of scrape.family('builds_total')!.metrics) scraped[m.labels!.status] = (scraped[m.labels!.status] ?? 0) + Number(m.value);
    expect(shown).toEqual(scraped);
    expect(shown).toEqual(byStatus);
    // The org values printed are the ones exposed, within top-N + __other__ + demotions.
    const orgs = Number(/orgs=(\d+)/.exec(printed.match.input)![1]);
    expect(orgs).toBe(new Set(scrape.family('builds_total')!.metrics.map((m) => m.labels!.org)).size);
    // The workers moved artifacts and ran build processes, as their own /metrics say.
    for (const w of ['worker-a', 'worker-b']) {
      const s = await scrapeUrl(urls[w]);
      expect(s.family('worker_transfer_bytes_total')!.metrics.reduce((n, m) => n + Number(m.value), 0)).toBeGreaterThan(0);
      expect(s.value('worker_build_slots_max')).toBe(2);
    }
    expect(scrape.family('http_server_request_duration_seconds')!.metrics.some((m) => m.labels?.http_route === '__unmatched__')).toBe(true);
    expect(scrape.family('http_server_request_duration_seconds')!.metrics.some((m) => m.labels?.http_response_status_code === 'aborted')).toBe(true);
    expect(scrape.text).not.toContain('wp-login');
  });

  it.skipIf(skipPrometheus)('is scraped by the Prometheus it starts: up, no scrape errors, finite p99, the build count, bounded org values', async () => {
    expect(promUrl, 'prometheus is not installed (Debian package "prometheus"); CI must install it').toBeDefined();
    const query = async (q: string) => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    };
    const value = async (q: string) => Number((await query(q))[0]?.value[1]);
    // Prometheus' count settles on what the simulator finished (the load has stopped).
    await waitFor(async () => ((await value('sum(builds_total)')) === finished ? true : undefined), `Prometheus to see ${finished} builds`, 30_000);
    // Every scrape of the run succeeded: up was 1 at every scrape of every target.
    const up = await query('min_over_time(up[5m])');
    expect(up.map((s) => [s.metric.job, s.metric.worker ?? 'server', s.value[1]]).sort()).toEqual([
      ['build-workers', 'worker-a', '1'],
      ['build-workers', 'worker-b', '1'],
      ['ci-server', 'server', '1'],
    ]);
    const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string; lastError: string; scrapeUrl: string }> } };
    expect(targets.data.activeTargets.map((t) => [t.scrapeUrl, t.health, t.lastError]).sort()).toEqual(Object.values(urls).map((u) => [u, 'up', '']).sort());
    const p99 = await value('histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[30s])))');
    expect(Number.isFinite(p99)).toBe(true);
    // Over the whole run, the org values of builds_total never exceeded top-N + __other__ + demotions.
    const now = Date.now() / 1000;
    const range = await fetch(`${promUrl}/api/v1/query_range?query=${encodeURIComponent('count(count by (org) (builds_total))')}&start=${now - 120}&end=${now}&step=1`);
    const seen = ((await range.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } }).data.result[0].values.map(([, v]) => Number(v));
    const demotions = (await value('sum(metricore_topn_changes_total{family="builds_total",label="org",change="demoted"})')) || 0;
    expect(Math.max(...seen)).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(TOP_N + 1 + demotions);
    // The rules it loaded (plugin-builds', plugin-worker's and the demo's) evaluate without error.
    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: Array<{ file: string; rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    expect(new Set(rules.data.groups.map((g) => g.file.split('/').pop()))).toEqual(new Set(['builds.rules.yml', 'worker.rules.yml', 'ci-farm.rules.yml']));
    expect(rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err')).toEqual([]);
  });

  it.skipIf(skipPromtool)('generates a Prometheus config that promtool accepts, rule files included', async () => {
    expect(hasPromtool, 'promtool is not installed (Debian package "prometheus"); CI must install it').toBe(true);
    const { prometheusConfig } = await import('../prometheus.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'metricore-ci-farm-config-'));
    try {
      writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(prometheusConfig({ server: '127.0.0.1:8080', sdUrl: 'http://127.0.0.1:8080/api/v1/metrics-targets' })));
      const r = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toContain('SUCCESS: 3 rule files found');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops everything on SIGINT (Ctrl-C): the workers and Prometheus go with it', async () => {
    demo.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe(`ci-farm: stopped; ${finished} builds finished`);
    for (const url of [...Object.values(urls), ...(promUrl ? [`${promUrl}/-/ready`] : [])]) {
      await expect(fetch(url)).rejects.toThrow();
    }
  });
});
