/**
 * soak-suite: the series-memory soak, shared by soak.test.ts (families without a TTL) and
 * soak-ttl.test.ts (with one), which vitest runs in two processes side by side.
 *
 * Series memory comes back. 1,000,000 remove/re-record cycles and 1,000 reset/re-record
 * rounds over 5,000 label sets, on families with and without a TTL, keep resident memory flat and
 * the exposition exact (issue #10).
 *
 * The bound: the steady growth of resident memory after a forced GC, past a warm-up, stays under
 * 16 MB over the run. Resident memory is sampled at 9 evenly spaced points; a leak grows it in every
 * one of the 8 intervals, while a one-off step (Node 22 and 24 grow V8's committed heap by 50-130 MB
 * once, between reset rounds 100 and 300, with the live JS heap flat at 9 MB; Node 20 does not) lands
 * in one or two. So the steady growth is the median interval's growth times 8.
 * Before the series lifecycle, the same loops leaked ~360 B per cycle: 1M cycles would be ~360 MB,
 * 1,000 rounds x 5,000 sets ~300 MB. 16 MB is generous on purpose: resident memory moves by a few
 * MB with GC timing and malloc arenas, which must not fail the test; a leak of even 16 B per cycle
 * (16 MB per million, 2 MB in each interval) would. The native counts are exact bounds: live plus
 * retired series never exceed the most ever live at once.
 *
 * Each test takes 5-40 s on the shared 2-core machine (5M bind-and-record calls for the reset
 * rounds); the per-test timeout is a generous deadline for a loaded CI machine, not a time bound.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestHost, scrapeHost } from '@metricore/framework/testing';
import type { NativeCore } from '../src/native.js';

const core = createRequire(createRequire(import.meta.url).resolve('@metricore/framework'))('@metricore/core-native') as NativeCore;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const BOUND = 16 * MB;

/** residentAfterGc: resident set size after full collections (so only live memory counts). */
function residentAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss;
}

/** INTERVALS: how many equal parts of the run past the warm-up resident memory is compared over. */
const INTERVALS = 8;

/**
 * steadyGrowth: the growth a leak would show over the whole run, from resident memory sampled at
 * INTERVALS + 1 evenly spaced points: the median interval's growth times INTERVALS (a one-off step
 * lands in one interval and does not move the median).
 */
function steadyGrowth(samples: readonly number[]): number {
  const growths = samples.slice(1).map((s, i) => s - samples[i]).sort((a, b) => a - b);
  return ((growths[INTERVALS / 2 - 1] + growths[INTERVALS / 2]) / 2) * INTERVALS;
}

/** sampleAt: whether step `i` (1-based) of `total` past `warmUp` is one of the sampling points. */
function sampleAt(i: number, warmUp: number, total: number): boolean {
  return i >= warmUp && (i - warmUp) % ((total - warmUp) / INTERVALS) === 0;
}

/** mb: bytes as MB for the log lines. */
function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

/** memory: resident, JS heap and external memory in MB, for the log line. */
function memory(): string {
  const m = process.memoryUsage();
  return `resident ${(m.rss / MB).toFixed(1)} MB (JS heap ${(m.heapUsed / MB).toFixed(1)}, external ${(m.external / MB).toFixed(1)})`;
}

/** soakSuite: the soak's two tests for families made with `options` (`tag` names them). */
export function soakSuite(tag: string, options: { ttlMs?: number }): void {
  const host = createTestHost();
  afterAll(() => host.close());
  describe(`series memory (${tag})`, () => {
      it('1,000,000 remove/re-record cycles keep resident memory flat and the exposition exact', { timeout: 600_000 }, async () => {
        const cycles = 1_000_000;
        const warmUp = 100_000;
        const gauge = host.gauge({ name: `soak_remove_${tag}`, help: 'Remove/re-record soak.', labelNames: ['pid'], ...options });
        const cycling = { pid: 'cycling' };
        const keep = { pid: 'keep' };
        const samples: number[] = [];
        let missing = 0;
        for (let i = 1; i <= cycles; i++) {
          gauge.set(cycling, i);
          gauge.inc(keep, 1);
          if (!gauge.remove(cycling)) missing++;
          if (sampleAt(i, warmUp, cycles)) samples.push(residentAfterGc());
        }
        expect(samples).toHaveLength(INTERVALS + 1);
        expect(missing).toBe(0);
        gauge.set(cycling, 7);
        const scrape = await scrapeHost(host);
        expect(scrape.seriesCount(`soak_remove_${tag}`)).toBe(2);
        expect(scrape.value(`soak_remove_${tag}`, cycling)).toBe(7);
        expect(scrape.value(`soak_remove_${tag}`, keep)).toBe(cycles);
        // The one slot was revived in place every time: nothing waits for reuse.
        expect(core.retiredSeries(gauge.familyId)).toBe(0);
        console.info(`[soak] remove ${tag}: resident MB from cycle ${warmUp} to ${cycles}: ${samples.map(mb).join(', ')}; steady growth ${mb(steadyGrowth(samples))} MB; at the end ${memory()}`);
        expect(steadyGrowth(samples)).toBeLessThan(BOUND);
      });

      it('1,000 reset/re-record rounds over 5,000 label sets keep resident memory flat and the exposition exact', { timeout: 600_000 }, async () => {
        const rounds = 1_000;
        // On Node 20 resident memory steps up once between rounds 50 and 100 (JIT tiering and heap
        // sizing): sampling starts past it.
        const warmUp = 200;
        const sets = Array.from({ length: 5_000 }, (_, i) => ({ org: `org${i % 100}`, route: `/r/${Math.floor(i / 100)}` }));
        const counter = host.counter({ name: `soak_reset_${tag}_total`, help: 'Reset/re-record soak.', labelNames: ['org', 'route'], ...options });
        const samples: number[] = [];
        for (let round = 1; round <= rounds; round++) {
          counter.reset();
          for (const labels of sets) counter.inc(labels, 1);
          counter.inc(sets[round % sets.length], round);
          if (sampleAt(round, warmUp, rounds)) samples.push(residentAfterGc());
        }
        expect(samples).toHaveLength(INTERVALS + 1);
        const scrape = await scrapeHost(host);
        const name = `soak_reset_${tag}_total`;
        expect(scrape.seriesCount(name)).toBe(sets.length);
        let total = 0;
        for (const [i, labels] of sets.entries()) {
          const expected = i === rounds % sets.length ? 1 + rounds : 1;
          const value = scrape.value(name, labels);
          if (value !== expected) expect({ labels, value }).toEqual({ labels, value: expected });
          total += value ?? 0;
        }
        expect(total).toBe(sets.length + rounds);
        // Live plus retired never exceed the most ever live at once (5,000).
        expect(core.retiredSeries(counter.familyId)).toBe(0);
        console.info(`[soak] reset ${tag}: resident MB from round ${warmUp} to ${rounds}: ${samples.map(mb).join(', ')}; steady growth ${mb(steadyGrowth(samples))} MB; at the end ${memory()}`);
        expect(steadyGrowth(samples)).toBeLessThan(BOUND);
      });
  });
}
