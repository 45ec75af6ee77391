// The demo `npm start` runs: it starts, drives itself, and its /metrics answers with the farm's
// families, per-route latency and process metrics, and passes the test kit's parser.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scrapeUrl, type Scrape } from '@metricore/framework/testing';

describe('CI-farm demo', () => {
  it('serves the farm metrics on 127.0.0.1 and stops by itself', async () => {
    const server = spawn(process.execPath, [fileURLToPath(new URL('../server.mjs', import.meta.url))], {
      env: { ...process.env, PORT: '0', METRICORE_DEMO_SECONDS: '60' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(server.stdout!, 'data')) as [Buffer];
      const url = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(line.toString())![1];
      const finished = { org: 'org1', status: 'completed' };
      // The SQL-fed count, summed over orgs (top-N may still hold org1 in __other__ until its first re-rank).
      const completed = (s: Scrape) => (s.family('builds_total')?.metrics ?? []).filter((m) => m.labels?.status === 'completed').reduce((n, m) => n + Number(m.value), 0);
      const built = (s: Scrape) => (s.histogram('build_duration_seconds', finished)?.count ?? 0) > 0 && completed(s) > 0;
      let scrape = await scrapeUrl(url);
      // Wait for a finished build to reach both the event-fed histogram and the SQL-fed count.
      const deadline = Date.now() + 40_000;
      while (!built(scrape) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        scrape = await scrapeUrl(url);
      }
      expect(scrape.histogram('build_duration_seconds', finished)!.count).toBeGreaterThan(0);
      expect(completed(scrape)).toBeGreaterThan(0);
      expect(scrape.family('evaluations_total')!.metrics.some((m) => Number(m.value) > 0)).toBe(true);
      expect(scrape.value('workers_connected')).toBe(2);
      expect(scrape.value('builds_sql_query_errors_total', { query: 'builds', reason: 'error' })).toBe(0);
      expect(scrape.value('worker_build_slots_max', { worker: 'worker-a' })).toBe(4);
      expect(scrape.family('http_server_request_duration_seconds')!.metrics.some((s) => s.labels?.http_route === '__unmatched__')).toBe(true);
      expect(scrape.value('process_resident_memory_bytes')).toBeGreaterThan(0);
      // The scanner's random URLs never become route values.
      expect(scrape.text).not.toContain('wp-login');
    } finally {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });
});
