/**
 * render-pool: the core keeps its render buffers for reuse while scrapes are in progress. Once every
 * render has ended and every piece has come back from JS, it keeps at most what one scrape's
 * pieces need (`idleKeepBytes`) and frees the rest, so a scraped process's resident memory goes
 * back to its level between scrapes (issue #16).
 */
import { request, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exponentialBuckets, type MetricsHost } from '@metricore/framework';
import { createTestHost } from '@metricore/framework/testing';
import { native } from '../src/native.js';
import { waitFor } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** SERIES: enough 20-bucket series for a body of several 1 MiB pieces (~5 MB of text). */
const SERIES = 3_000;

let host: MetricsHost;
let url: string;

beforeAll(async () => {
  host = createTestHost();
  const h = host.histogram({ name: 'pool_request_duration_seconds', help: 'Pool.', labelNames: ['route'], buckets: exponentialBuckets(0.001, 1.6, 20) });
  for (let i = 0; i < SERIES; i++) h.labels({ route: `/api/v1/projects/${i}/builds` }).observe(0.002 * (i % 500));
  ({ url } = await host.listen({ port: 0, host: '127.0.0.1' }));
});

afterAll(async () => {
  await host?.close();
});

function get(gzip: boolean): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(url, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, resolve)
      .on('error', reject)
      .end();
  });
}

/** Collects garbage (the finalizers of pieces JS dropped run on later turns) until no scrape holds the pool. */
async function poolSettled(what: string): Promise<ReturnType<typeof native.renderPoolStats>> {
  await waitFor(
    async () => {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const stats = native.renderPoolStats();
      return stats.renders === 0 && stats.lent === 0;
    },
    `every piece to come back after ${what} (now ${JSON.stringify(native.renderPoolStats())})`,
  );
  return native.renderPoolStats();
}

/** Starts a scrape and stops reading after its first chunk: the server is mid-body. */
async function pausedScrape(gzip: boolean): Promise<{ res: IncomingMessage; finish: () => Promise<number> }> {
  const res = await get(gzip);
  expect(res.statusCode).toBe(200);
  const [first] = (await once(res, 'data')) as [Buffer];
  res.pause();
  let bytes = first.length;
  res.on('data', (chunk: Buffer) => (bytes += chunk.length));
  return {
    res,
    finish: async () => {
      const ended = once(res, 'end');
      res.resume();
      await ended;
      return bytes;
    },
  };
}

describe('the render pool', () => {
  it('reuses buffers during scrapes and keeps at most one scrape\'s worth once they are over', async () => {
    // Four scrapes at once, plain and gzip, each stopped mid-body: more pieces than one scrape holds.
    const scrapes = await Promise.all([false, true, false, true].map((gzip) => pausedScrape(gzip)));
    const during = native.renderPoolStats();
    expect(during.renders + during.lent, JSON.stringify(during)).toBeGreaterThan(0);
    const bytes = await Promise.all(scrapes.map((s) => s.finish()));
    expect(bytes.filter((b) => b > 3_000_000)).toHaveLength(2);
    expect(bytes.filter((b) => b > 100_000 && b < 3_000_000)).toHaveLength(2);
    const after = await poolSettled('four scrapes');
    expect(after.keptBytes).toBeGreaterThan(0);
    expect(after.keptBytes).toBeLessThanOrEqual(after.idleKeepBytes);
  });

  it('keeps at most one scrape\'s worth after host.metrics() and host.render()', async () => {
    expect((await host.metrics()).length).toBeGreaterThan(3_000_000);
    expect((await host.render('text', true)).length).toBeGreaterThan(100_000);
    const after = await poolSettled('metrics() and render()');
    expect(after.keptBytes).toBeLessThanOrEqual(after.idleKeepBytes);
  });
});
