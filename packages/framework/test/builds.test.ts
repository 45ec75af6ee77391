/**
 * builds: the ESM build (`import`) and the CommonJS build (`require`) of the framework, as users
 * load them. The CommonJS output must keep `?.`/`??` as written (a helper-call rewrite made
 * unlabelled recording 6-8x slower from require(), issue #17), index.cjs and testing.cjs must share
 * one MetricsHost and one sample buffer, and every API form must count exactly from the main
 * thread and two worker threads with either build.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import * as esmFramework from '@metricore/framework';
import * as esmTesting from '@metricore/framework/testing';
import { BAD_LABELS_EVERY, FORM_VALUES, recordForms } from './fixtures/forms.mjs';

const require = createRequire(import.meta.url);
const cjsFramework = require('@metricore/framework') as typeof esmFramework;
const cjsTesting = require('@metricore/framework/testing') as typeof esmTesting;
const dist = new URL('../dist/', import.meta.url);
const WORKER = new URL('./fixtures/forms-worker.mjs', import.meta.url);

const BUILDS = {
  esm: { framework: esmFramework, testing: esmTesting },
  cjs: { framework: cjsFramework, testing: cjsTesting },
} as const;

const hosts: esmFramework.MetricsHost[] = [];
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

/** runWorker: a worker recording `count` of every form with `build`; resolves when it has exited. */
function runWorker(build: keyof typeof BUILDS, registry: string, thread: string, count: number): Promise<number> {
  const worker = new Worker(WORKER, { workerData: { build, registry, thread, count } });
  workers.push(worker);
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', resolve);
  });
}

/** terminatedWorker: a worker recording `count` of every form with `build`, without a flush, then terminated. */
async function terminatedWorker(build: keyof typeof BUILDS, registry: string, thread: string, count: number): Promise<void> {
  const worker = new Worker(WORKER, { workerData: { build, registry, thread, count, stayAlive: true } });
  workers.push(worker);
  await new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', resolve);
  });
  await worker.terminate();
}

describe('the CommonJS build', () => {
  it('keeps optional chaining and nullish coalescing as written (no helper rewrites)', () => {
    const files = readdirSync(dist).filter((f) => f.endsWith('.cjs'));
    expect(files).toContain('index.cjs');
    expect(files).toContain('testing.cjs');
    const code = files.map((f) => readFileSync(new URL(f, dist), 'utf8')).join('\n');
    expect(code).not.toMatch(/_optionalChain|_nullishCoalesce/);
    expect(code).toContain('?.');
    expect(code).toContain('??');
  });

  it('index.cjs and testing.cjs share one MetricsHost class (one sample buffer per thread)', async () => {
    const host = cjsTesting.createTestHost();
    hosts.push(host);
    expect(host).toBeInstanceOf(cjsFramework.MetricsHost);
    // Nothing flushed by hand: a render from testing.cjs applies what index.cjs' recorder buffered.
    host.counter({ name: 'shared_total', help: 'Recorded through index.cjs, scraped through testing.cjs.' }).inc(3);
    expect((await cjsTesting.scrapeHost(host)).value('shared_total')).toBe(3);
  });
});

describe.each(Object.keys(BUILDS) as Array<keyof typeof BUILDS>)('every API form with the %s build', (build) => {
  it.each(['exit', 'terminate'] as const)('counts exactly from the main thread and two worker threads that end by %s', async (end) => {
    const { testing } = BUILDS[build];
    const host = testing.createTestHost();
    hosts.push(host);
    // 5,003 per thread: several full 1,024-sample batches and a buffered tail in every thread;
    // counters keep per-thread deltas that only a flush (or the terminated thread's cleanup hook) applies.
    const N = 5_003;
    const exits =
      end === 'exit'
        ? [runWorker(build, host.registry, 'worker-a', N), runWorker(build, host.registry, 'worker-b', N)]
        : [terminatedWorker(build, host.registry, 'worker-a', N), terminatedWorker(build, host.registry, 'worker-b', N)];
    recordForms(host, 'main', N);
    expect(await Promise.all(exits)).toEqual(end === 'exit' ? [0, 0] : [undefined, undefined]);

    const scrape = await testing.scrapeHost(host);
    const per = [0, 0, 0, 0];
    for (let i = 0; i < N; i++) per[i % 4]++;
    const sum = per.reduce((s, n, i) => s + n * FORM_VALUES[i], 0);
    const histogram = (count: number, total: number) => ({
      count,
      sum: total,
      buckets: { '0.5': (per[0] * count) / N, '1': ((per[0] + per[1]) * count) / N, '2': ((per[0] + per[1] + per[2]) * count) / N, '+Inf': count },
    });
    expect(scrape.value('forms_unlabelled_total')).toBe(3 * 3 * N);
    expect(scrape.value('forms_unlabelled_gauge')).toBe(3 * N);
    expect(scrape.histogram('forms_unlabelled_seconds')).toEqual(histogram(3 * N, 3 * sum));
    for (const thread of ['main', 'worker-a', 'worker-b']) {
      expect(scrape.value('forms_labelled_total', { thread })).toBe(3 * N);
      expect(scrape.value('forms_labelled_gauge', { thread })).toBe(sum - 0.25 * N);
      // labels() child and object labels record into the same series.
      expect(scrape.histogram('forms_labelled_seconds', { thread })).toEqual(histogram(2 * N, 2 * sum));
    }
    // Object labels with an extra or a missing key, from every thread: refused and counted, never recorded.
    for (const metric of ['forms_labelled_total', 'forms_labelled_gauge', 'forms_labelled_seconds']) {
      expect(scrape.seriesCount(metric)).toBe(3);
      expect(scrape.value('metricore_rejected_samples_total', { metric, reason: 'invalid_labels' })).toBe(3 * Math.ceil(N / BAD_LABELS_EVERY));
    }
  });
});

describe.each(Object.keys(BUILDS) as Array<keyof typeof BUILDS>)('object labels with the %s build', (build) => {
  it('an extra or a missing key never records into a cached label set (counter, gauge, histogram)', async () => {
    const { testing } = BUILDS[build];
    const host = testing.createTestHost();
    hosts.push(host);
    const labelNames = ['route', 'method', 'code'];
    const c = host.counter({ name: 'exact_keys_total', help: 'x', labelNames });
    const g = host.gauge({ name: 'exact_keys_gauge', help: 'x', labelNames });
    const h = host.histogram({ name: 'exact_keys_seconds', help: 'x', labelNames, buckets: [1] });
    const set = { route: '/a', method: 'GET', code: '200' };
    // Cached through every path first: labels(), then the recording path.
    c.labels(set).inc();
    c.inc(set, 2);
    g.set(set, 5);
    h.observe(set, 0.5);
    const extra = { ...set, tenant: 't1' } as never;
    const missing = { route: '/a', method: 'GET' } as never;
    const undefinedValue = { route: '/a', method: 'GET', code: undefined } as never;
    // Same key count as the cached set, one key replaced by an unknown one.
    const swapped = { route: '/a', method: 'GET', status: '200' } as never;
    for (const bad of [extra, missing, undefinedValue, swapped]) {
      c.inc(bad, 100);
      g.set(bad, 100);
      h.observe(bad, 100);
      expect(() => c.labels(bad)).toThrow(/exact_keys_total/);
    }
    const scrape = await testing.scrapeHost(host);
    expect(scrape.value('exact_keys_total', set)).toBe(3);
    expect(scrape.value('exact_keys_gauge', set)).toBe(5);
    expect(scrape.histogram('exact_keys_seconds', set)?.count).toBe(1);
    expect(scrape.seriesCount('exact_keys_total')).toBe(1);
    expect(scrape.seriesCount('exact_keys_gauge')).toBe(1);
    expect(scrape.seriesCount('exact_keys_seconds')).toBe(1);
    for (const metric of ['exact_keys_total', 'exact_keys_gauge', 'exact_keys_seconds']) {
      expect(scrape.value('metricore_rejected_samples_total', { metric, reason: 'invalid_labels' })).toBe(4);
    }
  });

  it('label sets sharing prefixes, number spellings, remove() and reset() keep every series apart', async () => {
    const { testing } = BUILDS[build];
    const host = testing.createTestHost();
    hosts.push(host);
    const c = host.counter({ name: 'tree_total', help: 'x', labelNames: ['route', 'method', 'code'] });
    const sets: Array<{ route: string; method: string; code: string | number }> = [];
    for (let r = 0; r < 5; r++) for (const method of ['GET', 'POST', 'PUT']) for (const code of [200, '200', 500]) sets.push({ route: `/r${r}`, method, code });
    // Every form, twice over, in an order that makes and reuses each level's first and further values.
    for (let round = 0; round < 2; round++) {
      sets.forEach((s, i) => {
        c.inc(s, i + 1);
        c.labels(s).inc(i + 1);
        c.labels(s.route, s.method, s.code).inc();
      });
    }
    // 200 and '200' are one series (label values are text): each got both sets' increments.
    const expected = new Map<string, number>();
    sets.forEach((s, i) => {
      const key = `${s.route} ${s.method} ${s.code}`;
      expected.set(key, (expected.get(key) ?? 0) + 2 * (2 * (i + 1) + 1));
    });
    let scrape = await testing.scrapeHost(host);
    expect(scrape.seriesCount('tree_total')).toBe(expected.size);
    for (const [key, total] of expected) {
      const [route, method, code] = key.split(' ');
      expect(scrape.value('tree_total', { route, method, code })).toBe(total);
    }
    // remove() takes a first-held value and a Map-held value out of their levels; the rest keep counting.
    expect(c.remove({ route: '/r0', method: 'GET', code: 200 })).toBe(true);
    expect(c.remove('/r0', 'PUT', '500')).toBe(true);
    for (const s of sets) c.inc(s);
    scrape = await testing.scrapeHost(host);
    expect(scrape.value('tree_total', { route: '/r0', method: 'GET', code: '200' })).toBe(2);
    expect(scrape.value('tree_total', { route: '/r0', method: 'PUT', code: '500' })).toBe(1);
    expect(scrape.value('tree_total', { route: '/r0', method: 'POST', code: '500' })).toBe(expected.get('/r0 POST 500')! + 1);
    c.reset();
    c.inc(sets[4], 7);
    scrape = await testing.scrapeHost(host);
    expect(scrape.seriesCount('tree_total')).toBe(1);
    expect(scrape.value('tree_total', { route: sets[4].route, method: sets[4].method, code: String(sets[4].code) })).toBe(7);
  });
});
