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
import { FORM_VALUES, recordForms } from './fixtures/forms.mjs';

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
  });
});
