/**
 * suite: one behaviour suite run against every adapter. Each framework's test file builds an app
 * with the same endpoints and the same route templates, then hands it to `adapterSuite`:
 *
 *   GET /users/:id                          200 "ok"
 *   GET /api/orgs/:org/projects/:project    200 (a router mounted under a path with a parameter)
 *   GET /stream                             200, three chunks 60 ms apart
 *   GET /slow                               calls started(), waits for the client to go, then answers 200
 *   GET /boom                               the handler throws: 500
 *   GET /metrics                            the host's endpoint, served through the app
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsHost } from '@metricore/framework';
import { createTestHost, scrapeUrl } from '@metricore/framework/testing';
import httpMetrics, { type HttpMetricsPlugin } from '../src/index.js';
import { abortAfterStart, pipelineThenDrop, D, deferred, get, getAll, L, randomId, scrapeUntil, sleep, endpointOf } from './support.js';

/** AppHooks: what the app calls back into the suite. */
export interface AppHooks {
  /** started: the /slow handler is running. */
  started(): void;
  /** host: the metrics host, for mounting `/metrics`. */
  host: MetricsHost;
}

/** StartApp: builds and starts the app on 127.0.0.1:0; resolves its base URL and a close function. */
export type StartApp = (http: HttpMetricsPlugin, hooks: AppHooks) => Promise<{ url: string; close(): Promise<void> }>;

const USER = '/users/:id';
const NESTED = '/api/orgs/:org/projects/:project';

export function adapterSuite(name: string, startApp: StartApp): void {
  describe(`${name} adapter`, () => {
    let host: MetricsHost;
    let app: { url: string; close(): Promise<void> };
    let metricsUrl: string;
    let slowStarted = deferred();

    beforeAll(async () => {
      const http = httpMetrics();
      host = createTestHost({ plugins: [http] });
      app = await startApp(http, { host, started: () => slowStarted.resolve() });
      metricsUrl = await endpointOf(host);
    });

    afterAll(async () => {
      await app?.close();
      await host?.close();
    });

    it('folds 10,000 random unmatched URLs into exactly one series', async () => {
      const before = (await scrapeUrl(metricsUrl)).seriesCount(D);
      const urls = Array.from({ length: 10_000 }, () => `${app.url}/${randomId(8)}/${randomId(6)}.php?q=${randomId(4)}`);
      const statuses = await getAll(urls);
      expect(new Set(statuses)).toEqual(new Set([404]));
      const scrape = await scrapeUrl(metricsUrl);
      expect(scrape.seriesCount(D)).toBe(before + 1);
      expect(scrape.histogram(D, L('GET', '__unmatched__', '404'))?.count).toBe(10_000);
    });

    it('keys matched requests by route template, so random ids add no series', async () => {
      await get(`${app.url}/users/first`);
      const before = (await scrapeUrl(metricsUrl)).seriesCount(D);
      const statuses = await getAll(Array.from({ length: 2000 }, () => `${app.url}/users/${randomId()}`));
      expect(statuses.every((s) => s === 200)).toBe(true);
      const scrape = await scrapeUrl(metricsUrl);
      expect(scrape.seriesCount(D)).toBe(before);
      expect(scrape.histogram(D, L('GET', USER, '200'))?.count).toBe(2001);
    });

    it('joins mount paths into the template of a nested router', async () => {
      for (let i = 0; i < 3; i++) expect((await get(`${app.url}/api/orgs/${randomId(5)}/projects/${randomId(7)}`)).status).toBe(200);
      const scrape = await scrapeUrl(metricsUrl);
      expect(scrape.histogram(D, L('GET', NESTED, '200'))?.count).toBe(3);
    });

    it('records a handler error under its route with status 500', async () => {
      expect((await get(`${app.url}/boom`)).status).toBe(500);
      expect((await get(`${app.url}/boom`)).status).toBe(500);
      const scrape = await scrapeUrl(metricsUrl);
      expect(scrape.histogram(D, L('GET', '/boom', '500'))?.count).toBe(2);
    });

    it('times a streaming response to its end', async () => {
      const { status, body } = await get(`${app.url}/stream`);
      expect(status).toBe(200);
      expect(body).toBe('abc');
      const h = (await scrapeUrl(metricsUrl)).histogram(D, L('GET', '/stream', '200'));
      expect(h?.count).toBe(1);
      // Three chunks 60 ms apart: at least 120 ms, so nothing under the 0.1 s bound.
      expect(h!.sum).toBeGreaterThanOrEqual(0.12);
      expect(h!.buckets['0.1']).toBe(0);
      expect(h!.buckets['0.25']).toBe(1);
    });

    it('records a request the client aborts once, as status "aborted", even when the handler answers later', async () => {
      slowStarted = deferred();
      await abortAfterStart(`${app.url}/slow`, slowStarted.promise);
      const aborted = L('GET', '/slow', 'aborted');
      // A scrape rendering while the close lands can show the new series before its sample: poll for the sample.
      let scrape = await scrapeUntil(metricsUrl, (s) => (s.histogram(D, aborted)?.count ?? 0) > 0);
      expect(scrape.histogram(D, aborted)?.count).toBe(1);
      // The handler writes its late answer after the close; give it time, then check nothing else was recorded.
      await sleep(100);
      scrape = await scrapeUrl(metricsUrl);
      expect(scrape.histogram(D, aborted)?.count).toBe(1);
      expect(scrape.histogram(D, L('GET', '/slow', '200'))).toBeUndefined();
    });

    it('records pipelined requests queued behind one the connection loses, as "aborted", and the in-flight gauge returns to zero', async () => {
      slowStarted = deferred();
      const before = await scrapeUrl(metricsUrl);
      const count = (s: typeof before, labels: ReturnType<typeof L>) => s.histogram(D, labels)?.count ?? 0;
      const slow = L('GET', '/slow', 'aborted');
      const user = L('GET', USER, 'aborted');
      // The second and third responses wait for the first, which never comes: the client leaves first.
      await pipelineThenDrop(app.url, ['/slow', '/users/7', '/users/8'], slowStarted.promise);
      const scrape = await scrapeUntil(metricsUrl, (s) => count(s, user) - count(before, user) >= 2);
      expect(count(scrape, slow) - count(before, slow)).toBe(1);
      expect(count(scrape, user) - count(before, user)).toBe(2);
      expect(scrape.value('http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
    });

    it('folds unknown methods into _OTHER', async () => {
      await get(`${app.url}/users/1`, { method: 'PROPFIND' });
      const family = (await scrapeUrl(metricsUrl)).family(D)!;
      const other = family.metrics.filter((m) => m.labels?.http_request_method === '_OTHER');
      expect(other.map((m) => Number(m.count)).reduce((a, b) => a + b, 0)).toBe(1);
      expect(family.metrics.some((m) => m.labels?.http_request_method === 'PROPFIND')).toBe(false);
    });

    it('leaves the /metrics route out and brings the in-flight gauge back to zero', async () => {
      const viaApp = await get(`${app.url}/metrics`);
      expect(viaApp.status).toBe(200);
      expect(viaApp.body).toContain(D);
      await get(`${app.url}/metrics?x=1`);
      const scrape = await scrapeUrl(metricsUrl);
      expect(scrape.family(D)!.metrics.some((m) => m.labels?.http_route === '/metrics')).toBe(false);
      expect(scrape.value('http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
      expect(scrape.value('http_server_active_requests', { http_request_method: '_OTHER' })).toBe(0);
    });
  });
}
