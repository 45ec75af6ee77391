/**
 * helpers: a raw HTTP client for the endpoint tests (fetch would decompress gzip for us, and we
 * want to see the bytes on the wire) and small waiting utilities.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterEach, expect } from 'vitest';
import type { MetricsHost, MetricsHostOptions } from '@metricore/framework';
import { createTestHost } from '@metricore/framework/testing';

/** closedAfterEach: a `host()` factory of test hosts that are closed after each test. */
export function closedAfterEach(): (options?: MetricsHostOptions) => MetricsHost {
  const hosts: MetricsHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.close()));
  });
  return (options) => {
    const h = createTestHost(options);
    hosts.push(h);
    return h;
  };
}

/** Prometheus' own Accept header (prometheus 2.x scrape manager). */
export const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** request: one real HTTP request; resolves status, headers and the raw (undecoded) body. */
export function request(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** deferred: a promise with its resolve function, to hold a collect tap until the test lets go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * waitFor: polls `condition` until it holds, failing with `what` after `deadlineMs` (a deadline,
 * never an expected duration: the test waits for the event, however slow the machine).
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`waitFor: gave up after ${deadlineMs} ms waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 2));
  }
}

/** capturingLogger: a logger that keeps every warning. */
export function capturingLogger(): { warn: (m: string, e?: unknown) => void; warnings: Array<{ message: string; error: unknown }> } {
  const warnings: Array<{ message: string; error: unknown }> = [];
  return { warnings, warn: (message, error) => warnings.push({ message, error }) };
}

/** expectError: `fn` throws an instance of `type` with exactly this code and message. */
export function expectError(fn: () => unknown, type: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string, message: string) {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(type);
  expect(caught).toMatchObject({ code, message });
  expect((caught as Error).name).toBe(type.name);
}
