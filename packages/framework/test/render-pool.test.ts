/**
 * render-pool: the core keeps its render buffers only while a scrape is in progress. Once every
 * render has ended and every piece has come back from JS, the pool holds nothing, so a scraped
 * process's resident memory goes back to its level between scrapes (issue #16).
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

/** Collects garbage (the finalizers of pieces JS dropped run on later turns) until the pool is empty. */
async function poolEmptied(what: string): Promise<void> {
  await waitFor(
    async () => {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const stats = native.renderPoolStats();
      return stats.keptBytes === 0 && stats.renders === 0 && stats.lent === 0;
    },
    `the render pool to be empty after ${what} (now ${JSON.stringify(native.renderPoolStats())})`,
  );
}

describe('the render pool', () => {
  for (const gzip of [false, true]) {
    it(`holds buffers during a ${gzip ? 'gzip' : 'plain'} scrape and none once it is over`, async () => {
      const res = await get(gzip);
      expect(res.statusCode).toBe(200);
      // The client reads one chunk, then stops reading: the server is mid-body.
      const [first] = (await once(res, 'data')) as [Buffer];
      res.pause();
      const during = native.renderPoolStats();
      expect(during.renders + during.lent, JSON.stringify(during)).toBeGreaterThan(0);
      let bytes = first.length;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.resume();
      await once(res, 'end');
      expect(bytes).toBeGreaterThan(gzip ? 100_000 : 3_000_000);
      await poolEmptied(`a ${gzip ? 'gzip' : 'plain'} scrape`);
    });
  }

  it('holds none after host.metrics() and host.render()', async () => {
    expect((await host.metrics()).length).toBeGreaterThan(3_000_000);
    expect((await host.render('text', true)).length).toBeGreaterThan(100_000);
    await poolEmptied('metrics() and render()');
  });
});
