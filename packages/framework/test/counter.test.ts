/**
 * counter: increments go into per-thread delta cells in native memory (recorder.ts); these tests
 * hold them to the promises of the buffered path: exact totals through remove() and reset() with
 * children held elsewhere, past the thread's last cell, across an ESM and a CommonJS copy of the
 * framework in one thread, and one sample per increment where top-N ranks by activity.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as Framework from '@metricore/framework';
import { scrapeHost } from '@metricore/framework/testing';
import { closedAfterEach } from './helpers.js';

const require = createRequire(import.meta.url);
const host = closedAfterEach();

describe('counter delta cells', () => {
  it('remove() and reset() apply pending increments first; a held child then counts from zero', async () => {
    const h = host({ flushIntervalMs: 60_000 });
    const c = h.counter({ name: 'cells_lifecycle_total', help: 'x', labelNames: ['pid'] });
    const plain = h.counter({ name: 'cells_plain_total', help: 'x' });
    const held = c.labels({ pid: '1' });
    held.inc(3);
    c.inc({ pid: '2' }, 4);
    plain.inc(6);
    expect(c.remove({ pid: '1' })).toBe(true);
    let s = await scrapeHost(h);
    expect(s.value('cells_lifecycle_total', { pid: '1' })).toBeUndefined();
    expect(s.value('cells_lifecycle_total', { pid: '2' })).toBe(4);
    held.inc(5);
    held.inc();
    s = await scrapeHost(h);
    expect(s.value('cells_lifecycle_total', { pid: '1' })).toBe(6);

    held.inc(2);
    c.reset();
    plain.reset();
    s = await scrapeHost(h);
    expect(s.seriesCount('cells_lifecycle_total')).toBe(0);
    expect(s.seriesCount('cells_plain_total')).toBe(0);
    held.inc(1);
    c.inc({ pid: '2' }, 10);
    plain.inc();
    s = await scrapeHost(h);
    expect(s.value('cells_lifecycle_total', { pid: '1' })).toBe(1);
    expect(s.value('cells_lifecycle_total', { pid: '2' })).toBe(10);
    expect(s.value('cells_plain_total')).toBe(1);
  });

  it("series beyond the thread's last delta cell still count exactly", async () => {
    const h = host({ flushIntervalMs: 60_000 });
    const c = h.counter({ name: 'cells_many_total', help: 'x', labelNames: ['id'] });
    const N = 8192 + 300; // more series than one thread's cells (DELTA_CELLS in recorder.ts)
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < N; i++) {
        if (round === 1) c.labels(String(i)).inc(i % 7);
        else c.inc({ id: String(i) }, 1);
      }
    }
    const s = await scrapeHost(h);
    expect(s.seriesCount('cells_many_total')).toBe(N);
    for (const i of [0, 1, 6, 8191, 8192, 8193, N - 1]) expect(s.value('cells_many_total', { id: String(i) })).toBe(2 + (i % 7));
  });

  it('an ESM and a CommonJS copy in one thread add into one series exactly', async () => {
    const esm = host({ flushIntervalMs: 60_000 });
    const cjs = require('@metricore/framework') as typeof Framework;
    expect(cjs.MetricsHost).not.toBe(Framework.MetricsHost);
    const other = new cjs.MetricsHost({ registry: esm.registry, flushIntervalMs: 60_000 });
    try {
      const def = { name: 'cells_dual_total', help: 'x', labelNames: ['side'] };
      const a = esm.counter(def);
      const b = other.counter(def);
      for (let i = 0; i < 1000; i++) {
        a.inc({ side: 'x' });
        b.labels('x').inc(2);
      }
      a.labels('y').inc(0.5);
      b.inc({ side: 'y' }, 0.25);
      expect((await scrapeHost(esm)).value('cells_dual_total', { side: 'x' })).toBe(3000);
      const text = await other.metrics();
      expect(text).toContain('cells_dual_total{side="x"} 3000\n');
      expect(text).toContain('cells_dual_total{side="y"} 0.75\n');
    } finally {
      await other.close();
    }
  });

  it('a family whose label top-N ranks by activity (samples, not cells) counts exactly', async () => {
    const h = host({ flushIntervalMs: 60_000, labelPolicy: { org: { topN: 1, rerankIntervalMs: 60_000 } } });
    const c = h.counter({ name: 'cells_ranked_total', help: 'x', labelNames: ['org'] });
    const busy = c.labels('busy');
    for (let i = 0; i < 100; i++) busy.inc();
    c.inc({ org: 'quiet' }, 1000);
    const s = await scrapeHost(h);
    expect(s.value('cells_ranked_total', { org: 'busy' })).toBe(100);
    // topN 1: the second value folds into __other__ until a re-rank; folding never loses counts.
    expect(s.value('cells_ranked_total', { org: '__other__' })).toBe(1000);
  });
});
