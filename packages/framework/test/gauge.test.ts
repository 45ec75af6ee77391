/**
 * gauge: `inc`, `dec` and `set` write into per-thread delta cells (recorder.ts; a set flags the
 * cell's handle); these tests hold every form (bound child, object labels, unlabelled, detached)
 * to the order of the calls a thread makes, and to what the buffered path did with bad values.
 */
import { describe, expect, it } from 'vitest';
import { scrapeHost } from '@metricore/framework/testing';
import { closedAfterEach } from './helpers.js';

const host = closedAfterEach();

describe('gauge delta cells', () => {
  it('a set overrides the adds before it, and the adds after it land on the value set, in every form', async () => {
    const h = host({ flushIntervalMs: 60_000 });
    const g = h.gauge({ name: 'cells_level', help: 'x', labelNames: ['form'] });
    const plain = h.gauge({ name: 'cells_plain_level', help: 'x' });
    const child = g.labels({ form: 'child' });
    const { inc, dec, set } = g;

    child.inc(3);
    child.dec(1);
    child.set(10);
    child.inc(2);
    child.dec(0.5);

    g.inc({ form: 'object' }, 3); // first sample: binds and records in one native call
    g.dec({ form: 'object' });
    g.set({ form: 'object' }, 20);
    g.inc({ form: 'object' }, 4);
    g.dec({ form: 'object' }, 0.25);

    plain.inc(7);
    plain.set(30);
    plain.dec(2);
    plain.inc();

    inc({ form: 'detached' }, 9);
    set({ form: 'detached' }, 40);
    dec({ form: 'detached' }, 8);

    let s = await scrapeHost(h);
    expect(s.value('cells_level', { form: 'child' })).toBe(11.5);
    expect(s.value('cells_level', { form: 'object' })).toBe(23.75);
    expect(s.value('cells_plain_level')).toBe(29);
    expect(s.value('cells_level', { form: 'detached' })).toBe(32);

    // A child and the object form of one label set share the series' cell.
    child.inc(1);
    g.inc({ form: 'child' }, 1);
    g.set({ form: 'child' }, 100);
    child.dec(3);
    s = await scrapeHost(h);
    expect(s.value('cells_level', { form: 'child' })).toBe(97);
  });

  it('a dropped set (NaN, ±Infinity) leaves the adds before it; non-finite adds are dropped and counted', async () => {
    const h = host({ flushIntervalMs: 60_000 });
    const g = h.gauge({ name: 'cells_bad_level', help: 'x', labelNames: ['k'] });
    const child = g.labels({ k: 'a' });
    child.set(5);
    child.inc(2);
    child.set(NaN);
    child.set(Infinity);
    child.inc(NaN);
    child.dec(-Infinity);
    g.inc({ k: 'a' }, 1);
    const s = await scrapeHost(h);
    expect(s.value('cells_bad_level', { k: 'a' })).toBe(8);
    expect(s.value('metricore_rejected_samples_total', { metric: 'cells_bad_level', reason: 'nan' })).toBe(2);
    expect(s.value('metricore_rejected_samples_total', { metric: 'cells_bad_level', reason: 'infinite' })).toBe(2);
  });

  it('reset() and remove() apply pending adds first; a held child then starts from zero', async () => {
    const h = host({ flushIntervalMs: 60_000 });
    const g = h.gauge({ name: 'cells_life_level', help: 'x', labelNames: ['k'] });
    const held = g.labels({ k: 'a' });
    held.set(50);
    held.inc(5);
    expect(g.remove({ k: 'a' })).toBe(true);
    let s = await scrapeHost(h);
    expect(s.value('cells_life_level', { k: 'a' })).toBeUndefined();
    held.inc(2);
    s = await scrapeHost(h);
    expect(s.value('cells_life_level', { k: 'a' })).toBe(2);
    held.dec(1);
    g.reset();
    s = await scrapeHost(h);
    expect(s.seriesCount('cells_life_level')).toBe(0);
    held.inc(4);
    s = await scrapeHost(h);
    expect(s.value('cells_life_level', { k: 'a' })).toBe(4);
  });
});
