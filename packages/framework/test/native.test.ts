/**
 * native: a Rust panic surfaces as a JS Error with a stable code; the process lives on.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createTestHost, scrapeHost } from '@metricore/framework/testing';

// The core is a dependency of the framework; resolve it from there, as an application would.
const core = createRequire(createRequire(import.meta.url).resolve('@metricore/framework')) ('@metricore/core-native') as {
  triggerPanic(inRenderTask: boolean): void;
};

describe('native core', () => {
  it('a panic becomes a JS Error with [METRICORE_NATIVE_PANIC], and the process keeps working', async () => {
    let caught: unknown;
    try {
      core.triggerPanic(false);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message).toMatch(/^\[METRICORE_NATIVE_PANIC\] native core panicked: deliberate panic for tests/);
    // Again, and the core still records and renders afterwards.
    expect(() => core.triggerPanic(false)).toThrow('[METRICORE_NATIVE_PANIC]');
    const host = createTestHost();
    host.counter({ name: 'after_panic_total', help: 'Recorded after a panic.' }).inc(2);
    expect((await scrapeHost(host)).value('after_panic_total')).toBe(2);
    await host.close();
  });
});
