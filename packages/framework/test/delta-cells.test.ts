/**
 * delta-cells: a counter or gauge series gives its per-thread delta cell back when it leaves the
 * label cache (remove, reset, TTL eviction) and the children writing into it are collected, so a
 * process whose label sets come and go keeps recording into cells; a child still held keeps its
 * cell and stays exact. Runs the framework from its sources, so the test sees its hosts' recorder.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScrape, type Scrape } from '@metricore/framework/testing';
import { MetricsHost } from '../src/index.js';
import { DELTA_CELLS, deltaCellStats } from '../src/recorder.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** collected: collects garbage until `held` cells are held (the FinalizationRegistry reports after a GC, in a later task). */
async function collected(held: number): Promise<number> {
  for (let i = 0; i < 50 && deltaCellStats().held !== held; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  return deltaCellStats().held;
}

/** scrape: the host's exposition, parsed (scrapeHost takes the built package's host type). */
async function scrape(h: MetricsHost): Promise<Scrape> {
  return parseScrape(await h.metrics());
}

const hosts: MetricsHost[] = [];
afterAll(() => Promise.all(hosts.map((h) => h.close())));
function host(): MetricsHost {
  const h = new MetricsHost({ registry: `delta-cells-${hosts.length}`, flushIntervalMs: 60_000 });
  hosts.push(h);
  return h;
}

describe('delta cells given back', () => {
  it('remove() and reset() give cells back (every level of the label cache); held children keep theirs and stay exact; new series reuse the cells', async () => {
    const h = host();
    const c = h.counter({ name: 'churn_total', help: 'x', labelNames: ['org', 'id'] });
    const g = h.gauge({ name: 'churn_level', help: 'x', labelNames: ['id'] });
    const base = await collected(-1);
    // 3 orgs x 40 ids: levels of one value, of a pair array and of a Map.
    for (let org = 0; org < 3; org++) for (let id = 0; id < 40; id++) c.inc({ org: `o${org}`, id: `i${id}` });
    for (let id = 0; id < 20; id++) g.labels({ id: `g${id}` }).set(id);
    expect(deltaCellStats().held).toBe(base + 140);

    const held = c.labels({ org: 'o0', id: 'i0' });
    held.inc(4);
    const heldGauge = g.labels({ id: 'g1' });
    heldGauge.inc(10); // pending in the cell: a set of 1, plus 10
    expect(c.remove({ org: 'o0', id: 'i0' })).toBe(true);
    expect(g.remove({ id: 'g1' })).toBe(true);
    held.inc(2); // the series comes back from zero
    heldGauge.inc(3);
    let s = await scrape(h);
    expect(s.value('churn_total', { org: 'o0', id: 'i0' })).toBe(2);
    expect(s.value('churn_total', { org: 'o2', id: 'i39' })).toBe(1);
    expect(s.value('churn_level', { id: 'g1' })).toBe(3);

    c.reset();
    g.reset();
    // Only the two held children keep their cells.
    expect(await collected(base + 2)).toBe(base + 2);
    const made = deltaCellStats().made;
    for (let id = 0; id < 100; id++) c.inc({ org: 'o9', id: `n${id}` }, 2);
    expect(deltaCellStats()).toEqual({ held: base + 102, made });
    held.inc(1);
    s = await scrape(h);
    expect(s.seriesCount('churn_total')).toBe(101);
    expect(s.value('churn_total', { org: 'o9', id: 'n99' })).toBe(2);
    expect(s.value('churn_total', { org: 'o0', id: 'i0' })).toBe(1);
  });

  it('label sets that come and go past DELTA_CELLS keep getting cells, with exact totals', async () => {
    const h = host();
    const c = h.counter({ name: 'rounds_total', help: 'x', labelNames: ['build'] });
    const base = await collected(-1);
    const n = DELTA_CELLS - base - 10;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < n; i++) c.inc({ build: `r${round}-${i}` }, i % 3);
      // Without cells given back, the second round would find none free.
      expect(deltaCellStats().held).toBe(base + n);
      const s = await scrape(h);
      expect(s.seriesCount('rounds_total')).toBe(n);
      expect(s.value('rounds_total', { build: `r${round}-${n - 1}` })).toBe((n - 1) % 3);
      c.reset();
      expect(await collected(base)).toBe(base);
    }
  });

  it('a series evicted by its TTL gives its cell back; its held child revives it exactly', async () => {
    const h = host();
    const c = h.counter({ name: 'idle_total', help: 'x', labelNames: ['id'], ttl: 50 });
    let child: { inc(n?: number): void } | undefined = c.labels({ id: 'a' });
    child.inc(3);
    c.inc({ id: 'b' });
    const before = deltaCellStats().held;
    // The first upkeep applies the cells and starts the series' idle time, one a TTL later evicts them and prunes the cache.
    h.maintain();
    await new Promise((r) => setTimeout(r, 150));
    h.maintain();
    let s = await scrape(h);
    expect(s.seriesCount('idle_total')).toBe(0);
    expect(await collected(before - 1)).toBe(before - 1); // b's cell; a's child is held
    child.inc(5);
    s = await scrape(h);
    expect(s.value('idle_total', { id: 'a' })).toBe(5);
    child = undefined;
    expect(await collected(before - 2)).toBe(before - 2);
  });
});
