/**
 * helpers: hosts closed after each test, and a wait for a condition with a deadline.
 */
import { spawnSync } from 'node:child_process';
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

/** waitFor: polls `check` until it returns a defined value, or throws once `timeoutMs` has passed. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** tool: the path of a Prometheus tool when it runs here, else undefined. */
export function tool(name: 'promtool' | 'prometheus'): string | undefined {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? name : undefined;
}

/** mustSkip: CI installs Debian's prometheus package; only outside CI may a missing tool skip a test. */
export const mustSkip = (found: string | undefined): boolean => found === undefined && !process.env.CI;
