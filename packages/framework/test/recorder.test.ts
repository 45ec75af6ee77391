/**
 * recorder: the per-thread sample buffer. Importing starts nothing; one host's flush interval
 * never loosens another's; an ESM and a CommonJS copy of the framework in one thread see each
 * other's samples at every render.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type * as Framework from '@metricore/framework';
import { parseScrape } from '@metricore/framework/testing';
import { closedAfterEach } from './helpers.js';

const require = createRequire(import.meta.url);
const host = closedAfterEach();

/** inChild: runs `body` (an ES module) in a fresh node process and parses the JSON it prints. */
async function inChild(body: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', body]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('recorder', () => {
  it.each([
    ['ESM', `await import(${JSON.stringify(require.resolve('@metricore/framework').replace(/\.cjs$/, '.js'))})`],
    ['CommonJS', `(await import('node:module')).createRequire(import.meta.url)(${JSON.stringify(require.resolve('@metricore/framework'))})`],
  ])('importing the %s build starts no timer and adds no exit listener', async (_build, load) => {
    const seen = await inChild(`
      import { createHook } from 'node:async_hooks';
      const exitBefore = process.listenerCount('exit');
      let timers = 0;
      createHook({ init(_id, type) { if (type === 'Timeout') timers++; } }).enable();
      ${load};
      console.log(JSON.stringify({ timers, exit: process.listenerCount('exit') - exitBefore }));
    `);
    expect(seen).toEqual({ timers: 0, exit: 0 });
  });

  it("one host's flush interval never replaces another's: the thread flushes at the shortest", async () => {
    // Node's Timeout objects keep their period in `_repeat`; the live intervals after two hosts
    // (50 ms, then 60 s) must include 50 ms, and 60 s must not have replaced it.
    const seen = await inChild(`
      import { createHook } from 'node:async_hooks';
      const timers = [];
      createHook({ init(_id, type, _trigger, resource) { if (type === 'Timeout') timers.push(resource); } }).enable();
      const { MetricsHost } = await import(${JSON.stringify(require.resolve('@metricore/framework').replace(/\.cjs$/, '.js'))});
      const a = new MetricsHost({ flushIntervalMs: 50 });
      const b = new MetricsHost({ flushIntervalMs: 60000 });
      const live = () => timers.filter((t) => !t._destroyed && t._repeat !== null).map((t) => t._repeat).sort((x, y) => x - y);
      const both = live();
      await b.close();
      const afterB = live();
      await a.close();
      console.log(JSON.stringify({ both, afterB, none: live() }));
    `);
    // 1000: each host's upkeep (top-N re-ranking and TTL eviction).
    expect(seen).toEqual({ both: [50, 1000, 1000], afterB: [50, 1000], none: [] });
  });

  it('an ESM and a CommonJS copy in one thread: a render by either applies both buffers', async () => {
    const esm = host();
    const cjs = require('@metricore/framework') as typeof Framework;
    expect(cjs.MetricsHost).not.toBe((await import('@metricore/framework')).MetricsHost);
    const other = new cjs.MetricsHost({ registry: esm.registry, flushIntervalMs: 60_000 });
    try {
      other.counter({ name: 'dual_copy_total', help: 'Recorded through the CommonJS copy.' }).inc(7);
      esm.histogram({ name: 'dual_copy_seconds', help: 'Recorded through the ESM copy.', buckets: [1] }).observe(0.5);
      expect(parseScrape(await esm.metrics()).value('dual_copy_total')).toBe(7);
      expect(parseScrape(await other.metrics()).histogram('dual_copy_seconds')?.count).toBe(1);
    } finally {
      await other.close();
    }
  });
});
