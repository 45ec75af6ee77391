/**
 * threads: two worker threads load the built packages into the main thread's registry; their
 * per-thread figures carry a `thread` label and do not collide, process-wide ones stay unlabelled.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { scrapeHost } from '@metricore/framework/testing';
import processMetrics from '@metricore/plugin-process';
import { host, waitFor } from './helpers.js';

const WORKER = new URL('./fixtures/worker.mjs', import.meta.url);

async function startWorker(registry: string, arrays: number): Promise<{ worker: Worker; thread: string; warnings: string[] }> {
  const worker = new Worker(WORKER, { workerData: { registry, arrays } });
  const warnings: string[] = [];
  worker.on('message', (m) => m.warn && warnings.push(m.warn));
  const [{ ready }] = await once(worker, 'message');
  return { worker, thread: `worker-${ready}`, warnings };
}

async function stop(worker: Worker): Promise<void> {
  worker.postMessage('close');
  await once(worker, 'message');
  await worker.terminate();
}

describe('worker threads', () => {
  it('labels per-thread figures by thread and keeps process-wide ones unlabelled', async () => {
    const h = host({ plugins: [processMetrics({ threadLabel: true })] });
    const small = await startWorker(h.registry, 200);
    const large = await startWorker(h.registry, 2000);
    try {
      const scrape = await waitFor(
        async () => {
          const s = await scrapeHost(h);
          const seen = [small.thread, large.thread].every((thread) => (s.histogram('nodejs_eventloop_delay_seconds', { thread })?.count ?? 0) > 0);
          return seen ? s : undefined;
        },
        10_000,
        'both workers to report',
      );
      expect(small.warnings).toEqual([]);
      expect(large.warnings).toEqual([]);
      const heap = (thread: string) => scrape.value('nodejs_heap_size_used_bytes', { thread })!;
      expect(heap('main')).toBeGreaterThan(0);
      // 2,000 arrays of 1,000 numbers (~16 MB) against 200: the larger worker's own heap shows it.
      expect(heap(large.thread) - heap(small.thread)).toBeGreaterThan(8 * 1024 * 1024);
      expect(scrape.seriesCount('nodejs_heap_size_used_bytes')).toBe(3);
      expect(scrape.value('nodejs_heap_space_size_used_bytes', { space: 'old', thread: large.thread })).toBeGreaterThan(0);
      expect(scrape.value('nodejs_eventloop_utilization_ratio', { thread: small.thread })).toBeGreaterThanOrEqual(0);
      // Process-wide figures: one unlabelled series, collected by the main thread only.
      expect(scrape.seriesCount('process_resident_memory_bytes')).toBe(1);
      expect(scrape.value('process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(scrape.seriesCount('process_cpu_seconds_total')).toBe(1);
    } finally {
      await Promise.all([stop(small.worker), stop(large.worker)]);
    }
    // A closed worker's thread-labelled series leave the exposition; the main thread's stay.
    const after = await scrapeHost(h);
    for (const { thread } of [small, large]) {
      expect(after.value('nodejs_heap_size_used_bytes', { thread }), thread).toBeUndefined();
      expect(after.value('nodejs_heap_space_size_used_bytes', { space: 'old', thread }), thread).toBeUndefined();
      expect(after.histogram('nodejs_eventloop_delay_seconds', { thread }), thread).toBeUndefined();
      expect(after.value('nodejs_eventloop_active_seconds_total', { thread }), thread).toBeUndefined();
      expect(after.value('nodejs_active_resources_total', { thread }), thread).toBeUndefined();
      expect(after.text, thread).not.toContain(`thread="${thread}"`);
    }
    for (const name of ['nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'nodejs_eventloop_delay_seconds', 'nodejs_eventloop_active_seconds_total', 'nodejs_eventloop_idle_seconds_total', 'nodejs_eventloop_utilization_ratio', 'nodejs_active_resources_total']) {
      expect(after.seriesCount(name), name).toBe(1);
    }
    expect(after.value('nodejs_heap_size_used_bytes', { thread: 'main' })).toBeGreaterThan(0);
    expect((after.histogram('nodejs_eventloop_delay_seconds', { thread: 'main' })?.count ?? 0)).toBeGreaterThan(0);
    // Every heap space and GC kind left is the main thread's.
    expect(after.family('nodejs_heap_space_size_used_bytes')!.metrics.every((m) => m.labels?.thread === 'main')).toBe(true);
    expect(after.family('nodejs_gc_duration_seconds')!.metrics.every((m) => m.labels?.thread === 'main')).toBe(true);
  });

  it('explains a thread-label clash between hosts sharing a registry', async () => {
    const first = host({ plugins: [processMetrics({ groups: ['heap'] })] });
    const warnings: string[] = [];
    const logger = { warn: (message: string, error?: unknown) => warnings.push(`${message}: ${(error as Error).message}`) };
    const second = host({ registry: first.registry, logger, plugins: [processMetrics({ groups: ['heap'], threadLabel: true })] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('plugin "@metricore/plugin-process" failed in apply');
    expect(warnings[0]).toContain('nodejs_heap_size_total_bytes');
    expect(warnings[0]).toContain('another thread loaded this plugin without the thread label; pass { threadLabel: true } to processMetrics() in every thread that shares this registry');
    const scrape = await scrapeHost(second);
    expect(scrape.value('metricore_plugin_errors_total', { plugin: '@metricore/plugin-process', hook: 'apply' })).toBe(1);
  });
});
