/**
 * worker: transfer handles, build slots, queue wait and build processes, recorded in process and
 * checked with exact values in a scrape.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { scrapeHost } from '@metricore/framework/testing';
import processMetrics from '@metricore/plugin-process';
import workerMetrics, { DEFAULT_SIZE_BUCKETS, PLUGIN_NAME, type Transfer } from '../src/index.js';
import { host, waitFor } from './helpers.js';

const PULL = { direction: 'pull', transport: 'direct', peer: 'worker-2', org: 'acme' } as const;

describe('transfers', () => {
  it('counts bytes per chunk and the transfer once at its end, exactly', async () => {
    const worker = workerMetrics();
    const h = host({ plugins: [worker] });
    const t = worker.transfer(PULL);
    t.chunk(4 * 1024 * 1024);
    t.chunk(4 * 1024 * 1024);
    t.chunk(1000);
    let s = await scrapeHost(h);
    // Bytes show while the transfer runs; its count, size and duration only once it ends.
    expect(s.value('worker_transfer_bytes_total', { direction: 'pull', transport: 'direct', peer: 'worker-2', org: 'acme' })).toBe(8 * 1024 * 1024 + 1000);
    expect(s.value('worker_transfers_active', { direction: 'pull', transport: 'direct' })).toBe(1);
    expect(s.value('worker_transfers_total', { direction: 'pull', transport: 'direct', outcome: 'ok', peer: 'worker-2', org: 'acme' })).toBeUndefined();
    expect(s.histogram('worker_transfer_chunk_seconds', { direction: 'pull', transport: 'direct' })!.count).toBe(3);

    expect(t.end('ok')).toBe(true);
    expect(t.bytes).toBe(8 * 1024 * 1024 + 1000);
    s = await scrapeHost(h);
    expect(s.value('worker_transfers_total', { direction: 'pull', transport: 'direct', outcome: 'ok', peer: 'worker-2', org: 'acme' })).toBe(1);
    expect(s.value('worker_transfers_active', { direction: 'pull', transport: 'direct' })).toBe(0);
    const size = s.histogram('worker_transfer_size_bytes', { direction: 'pull', transport: 'direct', outcome: 'ok' })!;
    expect(size.count).toBe(1);
    expect(size.sum).toBe(8 * 1024 * 1024 + 1000);
    expect(Object.keys(size.buckets)).toHaveLength(DEFAULT_SIZE_BUCKETS.length + 1);
    expect(size.buckets['4194304']).toBe(0);
    expect(size.buckets['16777216']).toBe(1);
    const duration = s.histogram('worker_transfer_duration_seconds', { direction: 'pull', transport: 'direct', outcome: 'ok' })!;
    expect(duration.count).toBe(1);
    expect(duration.sum).toBeGreaterThanOrEqual(0);
  });

  it('records a second end, a chunk after the end and an unknown outcome as misuse, never throwing', async () => {
    const worker = workerMetrics();
    const h = host({ plugins: [worker] });
    const t = worker.transfer({ direction: 'push', transport: 'relay', peer: 'server' });
    t.chunk(10);
    expect(t.abort()).toBe(true);
    expect(t.end('ok')).toBe(false);
    t.chunk(5);
    const u = worker.transfer({ direction: 'push', transport: 'relay', peer: 'server' });
    expect(u.end('exploded' as 'ok')).toBe(true);
    const s = await scrapeHost(h);
    const labels = { direction: 'push', transport: 'relay', peer: 'server', org: '' };
    expect(s.value('worker_transfers_total', { ...labels, outcome: 'aborted' })).toBe(1);
    expect(s.value('worker_transfers_total', { ...labels, outcome: 'ok' })).toBeUndefined();
    expect(s.value('worker_transfers_total', { ...labels, outcome: 'failed' })).toBe(1);
    // The bytes of a late chunk moved all the same: they are counted, the transfer's size is not changed.
    expect(s.value('worker_transfer_bytes_total', labels)).toBe(15);
    expect(s.histogram('worker_transfer_size_bytes', { direction: 'push', transport: 'relay', outcome: 'aborted' })!.sum).toBe(10);
    expect(s.value('worker_handle_misuse_total', { reason: 'transfer_ended_twice' })).toBe(1);
    expect(s.value('worker_handle_misuse_total', { reason: 'chunk_after_end' })).toBe(1);
    expect(s.value('worker_handle_misuse_total', { reason: 'invalid_outcome' })).toBe(1);
    expect(s.value('worker_transfers_active', { direction: 'push', transport: 'relay' })).toBe(0);
  });

  it('records a handle that is garbage-collected without end() as aborted', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const worker = workerMetrics();
    const h = host({ plugins: [worker] });
    (() => {
      const t: Transfer = worker.transfer({ direction: 'pull', transport: 'object_store', peer: 'server', org: 'nixos' });
      t.chunk(123);
    })();
    const s = await waitFor(async () => {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      const scrape = await scrapeHost(h);
      return scrape.value('worker_handle_misuse_total', { reason: 'transfer_never_ended' }) === 1 ? scrape : undefined;
    }, 'the finalizer of an abandoned transfer');
    expect(s.value('worker_transfers_total', { direction: 'pull', transport: 'object_store', outcome: 'aborted', peer: 'server', org: 'nixos' })).toBe(1);
    expect(s.histogram('worker_transfer_size_bytes', { direction: 'pull', transport: 'object_store', outcome: 'aborted' })!.sum).toBe(123);
    expect(s.value('worker_transfers_active', { direction: 'pull', transport: 'object_store' })).toBe(0);
  });

  it('rejects a bad direction, transport or peer with a coded error naming the value', () => {
    const worker = workerMetrics();
    host({ plugins: [worker] });
    expect(() => worker.transfer({ ...PULL, direction: 'up' as 'pull' })).toThrow(
      expect.objectContaining({ code: 'METRICORE_INVALID_LABEL_VALUE', message: `${PLUGIN_NAME}: transfer(): direction must be one of pull, push; got "up"` }),
    );
    expect(() => worker.transfer({ ...PULL, transport: 's3' as 'direct' })).toThrow(
      expect.objectContaining({ code: 'METRICORE_INVALID_LABEL_VALUE', message: `${PLUGIN_NAME}: transfer(): transport must be one of direct, relay, object_store; got "s3"` }),
    );
    expect(() => worker.transfer({ ...PULL, peer: '' })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_LABEL_VALUE' }));
  });

  it('throws before the plugin is applied', () => {
    expect(() => workerMetrics().transfer(PULL)).toThrow(expect.objectContaining({ code: 'METRICORE_PLUGIN_NOT_APPLIED', message: expect.stringContaining('transfer() before the plugin was applied') }));
    const notApplied = workerMetrics();
    expect(() => notApplied.startJob()).toThrow(expect.objectContaining({ code: 'METRICORE_PLUGIN_NOT_APPLIED' }));
    expect(() => notApplied.setSlots(2)).toThrow(expect.objectContaining({ code: 'METRICORE_PLUGIN_NOT_APPLIED' }));
    expect(() => notApplied.usedSlots()).toThrow(expect.objectContaining({ code: 'METRICORE_PLUGIN_NOT_APPLIED' }));
  });

  it('keeps peers under the label policy: past the top N, they fold into __other__ with every byte counted', async () => {
    const worker = workerMetrics({ labelPolicy: { peer: { topN: 2 } } });
    const h = host({ plugins: [worker] });
    let total = 0;
    for (let i = 0; i < 6; i++) {
      const t = worker.transfer({ ...PULL, peer: `worker-${i}` });
      t.chunk(1000 + i);
      total += 1000 + i;
      t.end();
    }
    const s = await scrapeHost(h);
    const series = s.family('worker_transfer_bytes_total')!.metrics;
    const peers = series.map((m) => m.labels!.peer);
    expect(peers).toContain('__other__');
    expect(series.length).toBe(3);
    expect(series.reduce((sum, m) => sum + Number(m.value), 0)).toBe(total);
  });
});

describe('build slots and queue wait', () => {
  it('follows jobs as they start and stop, and accumulates busy slot-seconds exactly', async () => {
    const worker = workerMetrics({ slots: 4 });
    const h = host({ plugins: [worker] });
    let s = await scrapeHost(h);
    expect(s.value('worker_build_slots_max')).toBe(4);
    expect(s.value('worker_build_slots_used')).toBe(0);
    expect(s.value('worker_build_slot_busy_seconds_total')).toBe(0);

    const outerStart = performance.now();
    const a = worker.startJob({ org: 'acme', waitedSeconds: 3 });
    const b = worker.startJob({ org: 'acme', queuedAt: new Date(Date.now() - 60_000) });
    const innerStart = performance.now();
    s = await scrapeHost(h);
    expect(s.value('worker_build_slots_used')).toBe(2);
    expect(worker.usedSlots()).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const innerEnd = performance.now();
    expect(a.end()).toBe(true);
    expect(b.end()).toBe(true);
    const outerEnd = performance.now();
    expect(a.end()).toBe(false);

    s = await scrapeHost(h);
    expect(s.value('worker_build_slots_used')).toBe(0);
    // Two slots were busy for at least the inner window and at most the outer one.
    const busy = s.value('worker_build_slot_busy_seconds_total')!;
    expect(busy).toBeGreaterThanOrEqual((2 * (innerEnd - innerStart)) / 1000);
    expect(busy).toBeLessThanOrEqual((2 * (outerEnd - outerStart)) / 1000);
    const wait = s.histogram('worker_job_queue_wait_seconds', { org: 'acme' })!;
    expect(wait.count).toBe(2);
    expect(wait.sum).toBeGreaterThanOrEqual(63);
    expect(wait.sum).toBeLessThan(63 + (outerEnd - outerStart) / 1000 + 1);
    expect(s.value('worker_handle_misuse_total', { reason: 'job_ended_twice' })).toBe(1);

    worker.setSlots(64);
    s = await scrapeHost(h);
    expect(s.value('worker_build_slots_max')).toBe(64);
    // Nothing runs: collections add nothing.
    expect(s.value('worker_build_slot_busy_seconds_total')).toBe(busy);
  });

  it('counts busy time of a running job at every collection', async () => {
    const worker = workerMetrics({ slots: 1 });
    const h = host({ plugins: [worker] });
    const job = worker.startJob();
    const first = (await scrapeHost(h)).value('worker_build_slot_busy_seconds_total')!;
    const second = await waitFor(async () => {
      const v = (await scrapeHost(h)).value('worker_build_slot_busy_seconds_total')!;
      return v > first ? v : undefined;
    }, 'busy seconds to grow while a job runs');
    expect(second).toBeGreaterThan(first);
    job.end();
  });

  it('rejects a bad slot count and a bad queue time', () => {
    const worker = workerMetrics();
    host({ plugins: [worker] });
    expect(() => worker.setSlots(-1)).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: `${PLUGIN_NAME}: setSlots(): slots must be a non-negative integer, got -1` }));
    expect(() => worker.startJob({ queuedAt: Number.NaN })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION' }));
  });
});

describe('build processes', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('reports a job\'s processes under its org through plugin-process, and drops them when the job ends', async () => {
    const processes = processMetrics({ children: { labelNames: ['org'] } });
    const worker = workerMetrics({ processes });
    const h = host({ plugins: [processes, worker], labelPolicy: { org: { allow: ['acme'] } } });
    const job = worker.startJob({ org: 'acme' });
    const other = worker.startJob({ org: 'someone-else' });
    for (const j of [job, other, job]) {
      const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
      children.push(child);
      await once(child, 'spawn');
      j.watchProcess(child.pid!);
    }
    let s = await scrapeHost(h);
    expect(s.value('process_child_processes', { org: 'acme' })).toBe(2);
    // An org outside the allowlist never gets its own series.
    expect(s.value('process_child_processes', { org: '__other__' })).toBe(1);
    expect(s.value('process_child_resident_memory_bytes', { org: 'acme' })).toBeGreaterThan(1024 * 1024);
    job.end();
    other.end();
    s = await scrapeHost(h);
    expect(s.family('process_child_processes')?.metrics ?? []).toHaveLength(0);
  });

  it('says how to fix watchProcess() without plugin-process', () => {
    const worker = workerMetrics();
    host({ plugins: [worker] });
    expect(() => worker.startJob().watchProcess(process.pid)).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: expect.stringContaining('processMetrics({ children: { labelNames: ["org"] } })') }));
  });
});

describe('options', () => {
  it('names the bad option', () => {
    expect(() => workerMetrics({ slots: 1.5 })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: `${PLUGIN_NAME}: option "slots": Invalid input: expected int, received number` }));
    expect(() => workerMetrics({ sizeBuckets: [2, 1] })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: `${PLUGIN_NAME}: option "sizeBuckets": must increase strictly` }));
    expect(() => workerMetrics({ slot: 2 } as never)).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: `${PLUGIN_NAME}: options: Unrecognized key: "slot"` }));
    expect(() => workerMetrics({ processes: {} as never })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION' }));
  });

  it('refuses a second host for one instance', () => {
    const worker = workerMetrics();
    host({ plugins: [worker] });
    const errors: unknown[] = [];
    const second = host({ plugins: [worker], logger: { warn: (...args: unknown[]) => errors.push(args) } });
    expect(second.plugins).toContain(PLUGIN_NAME);
    expect(errors).toHaveLength(1);
  });
});
