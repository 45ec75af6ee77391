/**
 * workers: the integration test. A host listens on 127.0.0.1:0; the main thread and two
 * worker_threads record into the same families (same registry name); scrapes over HTTP in text,
 * OpenMetrics and gzip show exact counts and sums.
 */
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsHost } from '@metricore/framework';
import { createTestHost, parseScrape } from '@metricore/framework/testing';
import { PROMETHEUS_ACCEPT, request, sleep, waitFor } from './helpers.js';

const WORKER = new URL('./fixtures/record-worker.mjs', import.meta.url);
const VALUES = [0.25, 0.75, 1.5, 3];

interface WorkerRun {
  worker: Worker;
  recorded: Promise<unknown>;
  exited: Promise<number>;
}
function startWorker(data: { registry: string; thread: string; count: number; end: 'flush' | 'close' | 'none'; stayAlive?: boolean; flushIntervalMs?: number }): WorkerRun {
  const worker = new Worker(WORKER, { workerData: data });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  const recorded = Promise.race([new Promise((r) => worker.once('message', r)), failed]);
  const exited = Promise.race([new Promise<number>((r) => worker.once('exit', r)), failed]);
  return { worker, recorded, exited };
}

/** expected: the histogram series one thread produces for `count` observations of the fixture's cycle. */
function expected(count: number) {
  const per = [0, 0, 0, 0];
  for (let i = 0; i < count; i++) per[i % 4]++;
  const sum = per.reduce((s, n, i) => s + n * VALUES[i], 0);
  return { count, sum, buckets: { '0.5': per[0], '1': per[0] + per[1], '2': per[0] + per[1] + per[2], '+Inf': count } };
}

const hosts: MetricsHost[] = [];
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

describe('main thread and two worker_threads into one registry', () => {
  it('scrapes over HTTP (text, OpenMetrics, gzip) show exact counts and sums', async () => {
    const host = createTestHost();
    hosts.push(host);
    const { url } = await host.listen({ port: 0, host: '127.0.0.1' });
    const seconds = host.histogram({ name: 'work_seconds', help: 'Work done, by thread.', labelNames: ['thread'], buckets: [0.5, 1, 2], unit: 'seconds' });
    const total = host.counter({ name: 'work_total', help: 'Work items, all threads.' });

    // 20,000 observations per worker: 19 full batches and a buffered tail that only the end of the worker applies.
    const W = 20_000;
    const M = 5_003;
    const a = startWorker({ registry: host.registry, thread: 'worker-a', count: W, end: 'none' });
    const b = startWorker({ registry: host.registry, thread: 'worker-b', count: W, end: 'flush' });
    workers.push(a.worker, b.worker);
    for (let i = 0; i < M; i++) {
      seconds.observe({ thread: 'main' }, VALUES[i % 4]);
      total.inc();
      if (i % 1000 === 0) await sleep(0); // interleave with the workers
    }
    // Worker A returns without flushing: its tail is applied when the thread exits normally.
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);

    const text = await request(url);
    const om = await request(url, { headers: { accept: PROMETHEUS_ACCEPT } });
    const gz = await request(url, { headers: { 'accept-encoding': 'gzip' } });
    expect([text.status, om.status, gz.status]).toEqual([200, 200, 200]);
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(gz.headers['content-encoding']).toBe('gzip');

    for (const body of [text.body.toString('utf8'), gunzipSync(gz.body).toString('utf8')]) {
      const scrape = parseScrape(body);
      expect(scrape.histogram('work_seconds', { thread: 'main' })).toEqual(expected(M));
      expect(scrape.histogram('work_seconds', { thread: 'worker-a' })).toEqual(expected(W));
      expect(scrape.histogram('work_seconds', { thread: 'worker-b' })).toEqual(expected(W));
      expect(scrape.value('work_total')).toBe(M + 2 * W);
      expect(scrape.value('work_level', { thread: 'worker-a' })).toBe(1005);
      expect(scrape.value('work_level', { thread: 'worker-b' })).toBe(1005);
      expect(scrape.seriesCount('work_seconds')).toBe(3);
    }

    // OpenMetrics: the same numbers, OpenMetrics names.
    const omText = om.body.toString('utf8');
    expect(omText).toContain(`# TYPE work counter\nwork_total ${M + 2 * W}\n`);
    for (const [thread, n] of [['main', M], ['worker-a', W], ['worker-b', W]] as const) {
      const e = expected(n);
      expect(omText).toContain(
        `work_seconds_bucket{thread="${thread}",le="0.5"} ${e.buckets['0.5']}\n` +
          `work_seconds_bucket{thread="${thread}",le="1"} ${e.buckets['1']}\n` +
          `work_seconds_bucket{thread="${thread}",le="2"} ${e.buckets['2']}\n` +
          `work_seconds_bucket{thread="${thread}",le="+Inf"} ${n}\n` +
          `work_seconds_sum{thread="${thread}"} ${e.sum}\n` +
          `work_seconds_count{thread="${thread}"} ${n}\n`,
      );
    }
    expect(omText.endsWith('# EOF\n')).toBe(true);
  });

  it('a worker that closes its host, or is terminated with samples still buffered, loses nothing', async () => {
    const host = createTestHost();
    hosts.push(host);
    const closing = startWorker({ registry: host.registry, thread: 'closing', count: 3_333, end: 'close' });
    // No flush: 3,333 samples leave a buffered tail that only the core's cleanup hook can apply.
    const terminated = startWorker({ registry: host.registry, thread: 'terminated', count: 3_333, end: 'none', stayAlive: true });
    workers.push(closing.worker, terminated.worker);
    await terminated.recorded;
    await terminated.worker.terminate();
    await closing.exited;
    const scrape = parseScrape(await host.metrics());
    expect(scrape.histogram('work_seconds', { thread: 'closing' })).toEqual(expected(3_333));
    expect(scrape.histogram('work_seconds', { thread: 'terminated' })).toEqual(expected(3_333));
    expect(scrape.value('work_total')).toBe(2 * 3_333);
    // A gauge set, then raised, both still pending in the delta cell when the thread ended.
    expect(scrape.value('work_level', { thread: 'closing' })).toBe(1005);
    expect(scrape.value('work_level', { thread: 'terminated' })).toBe(1005);
  });

  it("a running worker's buffered samples reach another thread's scrape within its flush interval", async () => {
    const host = createTestHost();
    hosts.push(host);
    // 10 observations: far below a batch, so only the worker's periodic flush applies them.
    const run = startWorker({ registry: host.registry, thread: 'live', count: 10, end: 'none', stayAlive: true, flushIntervalMs: 100 });
    workers.push(run.worker);
    await run.recorded;
    await waitFor(
      async () => parseScrape(await host.metrics()).histogram('work_seconds', { thread: 'live' })?.count === 10,
      "the worker's 10 samples, applied by its periodic flush (the fixture's default would be 60 s)",
    );
  });
});
