/**
 * helpers: hosts that are closed after each test, and small waits.
 */
import { afterEach } from 'vitest';
import type { MetricsHost, MetricsHostOptions } from '@metricore/framework';
import { createTestHost } from '@metricore/framework/testing';

const hosts: MetricsHost[] = [];

/** host: a test host on a registry of its own, closed after the test. */
export function host(options: MetricsHostOptions = {}): MetricsHost {
  const h = createTestHost(options);
  hosts.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

/** sleep: resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** busyFor: keeps the event loop (and one core) busy for `ms`. */
export function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Spin.
  }
}

/** waitFor: polls `check` until it returns a defined value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
