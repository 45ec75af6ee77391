/**
 * scrape-scale: the endpoint with 100k histogram series (a ~230 MB text body) over real HTTP,
 * clients in another process: a client leaving mid-body, and ten scrapes at once against the
 * concurrency cap, with the server's resident memory measured around them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exponentialBuckets, type BodyStream, type MetricsHost } from '@metricore/framework';
import { createTestHost } from '@metricore/framework/testing';
import { waitFor } from './helpers.js';

const SERIES = 100_000;
const MiB = 2 ** 20;
/** MAX_CONCURRENT: the endpoint's cap in these tests. */
const MAX_CONCURRENT = 4;
/**
 * PEAK_BOUND: how far resident memory may rise while ten clients scrape 100k series at once. A
 * whole body is ~230 MB; streamed, each scrape holds a few 1 MiB pieces and its socket buffers.
 */
const PEAK_BOUND = 64 * MiB;
/** SETTLE_BOUND: how far above its level before a scrape resident memory may stay once it is over. */
const SETTLE_BOUND = 16 * MiB;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledRss(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage.rss();
}

/** Resets the kernel's resident high-water mark where allowed; `peak()` reads it, or the highest sample. */
function peakMeter(): { peak: () => number; stop: () => void } {
  let resettable = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    resettable = false;
  }
  let sampled = process.memoryUsage.rss();
  const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 5);
  const hwm = () => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
  return { peak: () => Math.max(sampled, resettable ? hwm() : 0), stop: () => clearInterval(timer) };
}

interface ClientResult {
  status: number;
  bytes: number;
  complete: boolean;
}

let client: ChildProcess;
function scrapeFromClient(url: string, clients: number, stopAfterBytes?: number): Promise<ClientResult[]> {
  return new Promise((resolve, reject) => {
    client.once('message', (m: { results?: ClientResult[]; error?: string }) => (m.results ? resolve(m.results) : reject(new Error(m.error))));
    client.send({ url, clients, stopAfterBytes });
  });
}

let host: MetricsHost;
let url: string;
let fullBytes: number;
const streams: BodyStream[] = [];
/** Bodies differ only in the self-metrics' values (scrape durations), a few hundred bytes. */
const wholeBody = (bytes: number) => Math.abs(bytes - fullBytes) < 16 * 1024;
const inFlight = () => streams.filter((s) => !s.finished).length;

beforeAll(async () => {
  host = createTestHost({ endpoint: { maxConcurrentScrapes: MAX_CONCURRENT, renderTimeoutMs: 60_000 } });
  const h = host.histogram({ name: 'scale_request_duration_seconds', help: 'Scale.', labelNames: ['route', 'code'], buckets: exponentialBuckets(0.001, 1.6, 20), maxSeries: SERIES * 2 });
  for (let i = 0; i < SERIES; i++) {
    const child = h.labels({ route: `/api/v1/projects/${i}/builds`, code: String(200 + (i % 5)) });
    for (let j = 0; j < 4; j++) child.observe(0.001 * ((i + j) % 5000));
  }
  const renderStream = host.renderStream.bind(host);
  host.renderStream = async (...args) => {
    const stream = await renderStream(...args);
    streams.push(stream);
    return stream;
  };
  ({ url } = await host.listen({ port: 0 }));
  client = fork(new URL('./fixtures/scrape-client.mjs', import.meta.url));
  // A complete scrape first: buffers and pools reach their working size before any baseline.
  const [warm] = await scrapeFromClient(url, 1);
  expect(warm).toMatchObject({ status: 200, complete: true });
  fullBytes = warm.bytes;
  expect(fullBytes).toBeGreaterThan(200e6);
});

afterAll(async () => {
  client?.kill();
  await host?.close();
});

describe('scrapes of 100k series', () => {
  it('a client leaving mid-body stops the render, the server keeps serving and memory returns to its level', async () => {
    const before = await settledRss();
    const [left] = await scrapeFromClient(url, 1, 20 * MiB);
    expect(left.complete).toBe(false);
    await waitFor(() => inFlight() === 0, 'the abandoned scrape to close its stream');
    const abandoned = streams.at(-1) as BodyStream;
    expect(abandoned.completed).toBe(false);
    // Stopped long before the end: the server did not render the rest of the body for nobody.
    expect(abandoned.bytes).toBeLessThan(fullBytes / 2);
    expect((await settledRss()) - before).toBeLessThan(SETTLE_BOUND);
    const [next] = await scrapeFromClient(url, 1);
    expect(next).toMatchObject({ status: 200, complete: true });
    expect(wholeBody(next.bytes)).toBe(true);
  });

  it(`ten scrapes at once: at most ${MAX_CONCURRENT} render, the rest get 503, resident memory stays within ${PEAK_BOUND / MiB} MiB`, async () => {
    const before = await settledRss();
    let maxInFlight = 0;
    const watch = setInterval(() => (maxInFlight = Math.max(maxInFlight, inFlight())), 1);
    const meter = peakMeter();
    const results = await scrapeFromClient(url, 10);
    const peak = meter.peak() - before;
    meter.stop();
    clearInterval(watch);
    const served = results.filter((r) => r.status === 200);
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(served.length).toBeLessThanOrEqual(MAX_CONCURRENT);
    expect(served.every((r) => r.complete && wholeBody(r.bytes))).toBe(true);
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 503)).toBe(true);
    expect(maxInFlight).toBeLessThanOrEqual(MAX_CONCURRENT);
    console.log(`10 scrapes of ${SERIES} series, ${served.length} served: resident peak +${(peak / MiB).toFixed(1)} MiB`);
    expect(peak).toBeLessThan(PEAK_BOUND);
    await waitFor(() => inFlight() === 0, 'every stream to finish');
    expect((await settledRss()) - before).toBeLessThan(SETTLE_BOUND);
  });
});
