/**
 * label-tree: the label cache's levels (one value inline, a pair array up to SMALL_LEVEL values,
 * then a Map), handle leaves, and through a host: exactness (extra or missing keys never record
 * into another series), removal, re-adding, numbers vs strings, labels() after the object form.
 */
import { describe, expect, it } from 'vitest';
import { scrapeHost } from '@metricore/framework/testing';
import { compileLookup, find, insert, LabelNode, MANY, remove, SMALL_LEVEL } from '../src/label-tree.js';
import { closedAfterEach } from './helpers.js';

const host = closedAfterEach();

describe('label tree', () => {
  const lookup = compileLookup<{ id: number }>(['a', 'b']);

  it('holds one value inline, then a pair array, then a Map, and finds every value at each size', () => {
    const root = new LabelNode();
    const counts = [1, 2, 3, SMALL_LEVEL, SMALL_LEVEL + 1, 40];
    let added = 0;
    for (const n of counts) {
      for (; added < n; added++) {
        insert(root, [`a${added}`, 'x'], added);
        insert(root, [`a${added}`, added], 1000 + added);
      }
      if (n === 1) expect(root.key).toBe('a0');
      else if (n <= SMALL_LEVEL) expect([root.key, Array.isArray(root.next), (root.next as unknown[]).length]).toEqual([MANY, true, 2 * n]);
      else expect([root.key, root.next instanceof Map]).toEqual([MANY, true]);
      for (let i = 0; i < n; i++) {
        expect(find(root, [`a${i}`, 'x'])).toBe(i);
        expect(find(root, [`a${i}`, i])).toBe(1000 + i);
        expect(find(root, [`a${i}`, String(i)])).toBeUndefined();
        expect(lookup(root as never, { a: `a${i}`, b: 'x' })).toBe(i);
        expect(lookup(root as never, { a: `a${i}`, b: i })).toBe(1000 + i);
      }
      expect(find(root, [`a${n}`, 'x'])).toBeUndefined();
      expect(lookup(root as never, { a: `a${n}`, b: 'x' })).toBeUndefined();
    }
  });

  it('refuses extra and missing keys, and never matches a number to its string', () => {
    const root = new LabelNode();
    insert(root, ['1', '2'], 7);
    insert(root, [1, 2], 8);
    expect(lookup(root as never, { a: '1', b: '2' })).toBe(7);
    expect(lookup(root as never, { a: 1, b: 2 })).toBe(8);
    expect(lookup(root as never, { a: '1', b: 2 })).toBeUndefined();
    expect(lookup(root as never, { a: '1', b: '2', c: '3' })).toBeUndefined();
    expect(lookup(root as never, { a: '1' })).toBeUndefined();
    expect(lookup(root as never, { b: '2' })).toBeUndefined();
    expect(lookup(root as never, {})).toBeUndefined();
    // A missing key reads undefined: an emptied inline level (key undefined) must not match it.
    remove(root, ['1', '2']);
    remove(root, [1, 2]);
    expect(lookup(root as never, { a: '1' })).toBeUndefined();
    expect(lookup(root as never, { a: '1', b: undefined })).toBeUndefined();
    expect(lookup(root as never, { a: undefined, b: undefined })).toBeUndefined();
  });

  it('removes values at every level size and adds them back', () => {
    for (const n of [1, 2, 3, SMALL_LEVEL, SMALL_LEVEL + 1, 30]) {
      const root = new LabelNode();
      for (let i = 0; i < n; i++) insert(root, ['r', `m${i}`], i);
      for (let i = 0; i < n; i += 2) remove(root, ['r', `m${i}`]);
      for (let i = 0; i < n; i++) expect(lookup(root as never, { a: 'r', b: `m${i}` })).toBe(i % 2 === 0 ? undefined : i);
      remove(root, ['r', 'never']);
      remove(root, ['never', 'm1']);
      for (let i = 0; i < n; i += 2) insert(root, ['r', `m${i}`], 100 + i);
      for (let i = 0; i < n; i++) expect(lookup(root as never, { a: 'r', b: `m${i}` })).toBe(i % 2 === 0 ? 100 + i : i);
      for (let i = 0; i < n; i++) remove(root, ['r', `m${i}`]);
      for (let i = 0; i < n; i++) expect(find(root, ['r', `m${i}`])).toBeUndefined();
      insert(root, ['r', 'again'], 5);
      expect(lookup(root as never, { a: 'r', b: 'again' })).toBe(5);
    }
  });

  it('replaces a leaf in place (a handle by its child)', () => {
    const root = new LabelNode();
    for (let i = 0; i < 4; i++) insert(root, ['r', `m${i}`], i);
    const child = { id: 2 };
    insert(root, ['r', 'm2'], child);
    expect(lookup(root as never, { a: 'r', b: 'm2' })).toBe(child);
    expect(lookup(root as never, { a: 'r', b: 'm3' })).toBe(3);
  });
});

describe('label cache through a host', () => {
  it('records many values per level into their own series, by object and by labels()', async () => {
    const h = host();
    const hist = h.histogram({ name: 'lt_seconds', help: 'x', labelNames: ['route', 'method', 'code'], buckets: [1] });
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'X1', 'X2'];
    for (let r = 0; r < 12; r++) for (const method of methods) hist.observe({ route: `/r${r}`, method, code: 200 + (r % 3) }, 0.5);
    // labels() after the object form: the child records into the same series, and is then cached.
    const child = hist.labels({ route: '/r1', method: 'PUT', code: 201 });
    expect(hist.labels('/r1', 'PUT', 201)).toBe(child);
    expect(hist.labels({ route: '/r1', method: 'PUT', code: 201 })).toBe(child);
    child.observe(2);
    hist.observe({ route: '/r1', method: 'PUT', code: 201 }, 2);
    const s = await scrapeHost(h);
    expect(s.seriesCount('lt_seconds')).toBe(12 * methods.length);
    expect(s.histogram('lt_seconds', { route: '/r1', method: 'PUT', code: '201' })?.count).toBe(3);
    expect(s.histogram('lt_seconds', { route: '/r11', method: 'X2', code: '202' })?.count).toBe(1);
  });

  it('an object with an extra or a missing key never records into a cached series', async () => {
    const h = host();
    const g = h.gauge({ name: 'lt_gauge', help: 'x', labelNames: ['a', 'b'] });
    for (let i = 0; i < 10; i++) g.set({ a: 'x', b: `v${i}` }, i);
    g.set({ a: 'x', b: 'v3', c: 'extra' } as never, 99);
    g.set({ a: 'x' } as never, 99);
    g.inc({ b: 'v3' } as never, 99);
    const s = await scrapeHost(h);
    expect(s.seriesCount('lt_gauge')).toBe(10);
    expect(s.value('lt_gauge', { a: 'x', b: 'v3' })).toBe(3);
    expect(s.value('metricore_rejected_samples_total', { metric: 'lt_gauge', reason: 'invalid_labels' })).toBe(3);
    expect(() => g.labels({ a: 'x', b: 'v3', c: 'extra' } as never)).toThrow(/has no label "c"/);
  });

  it('each family records through a method of its own: detached, after reset(), and beside families of the same label names', async () => {
    const h = host();
    const names = ['route', 'status'] as const;
    const counters = [0, 1, 2].map((i) => h.counter({ name: `lt_own${i}_total`, help: 'x', labelNames: [...names] }));
    const hist = h.histogram({ name: 'lt_own_seconds', help: 'x', labelNames: [...names], buckets: [1] });
    const gauge = h.gauge({ name: 'lt_own_gauge', help: 'x', labelNames: [...names] });
    const labels = { route: '/a', status: '200' };
    // One label object through every family, many times, so each method's cache is warm.
    for (let n = 0; n < 1000; n++) counters.forEach((c, i) => c.inc(labels, i + 1));
    const { inc } = counters[1]!;
    const { observe } = hist;
    const { set, dec } = gauge;
    const { inc: plainInc } = h.counter({ name: 'lt_own_plain_total', help: 'x' });
    inc(labels, 10);
    plainInc();
    observe(labels, 0.5);
    set(labels, 7);
    dec(labels, 2);
    let s = await scrapeHost(h);
    expect(counters.map((c) => s.value(c.name, labels))).toEqual([1000, 2010, 3000]);
    expect(s.value('lt_own_plain_total')).toBe(1);
    expect(s.histogram('lt_own_seconds', labels)?.count).toBe(1);
    expect(s.value('lt_own_gauge', labels)).toBe(5);
    counters[0]!.reset();
    counters[0]!.inc(labels, 4);
    s = await scrapeHost(h);
    expect(s.value('lt_own0_total', labels)).toBe(4);
    expect(s.value('lt_own2_total', labels)).toBe(3000);
  });

  it('numbers and strings of one value are one series; remove and re-add work at any level size', async () => {
    const h = host();
    const g = h.gauge({ name: 'lt_removed', help: 'x', labelNames: ['pid'] });
    for (let i = 0; i < 20; i++) g.set({ pid: i }, i);
    g.inc({ pid: '3' }, 10);
    expect(g.remove({ pid: 3 })).toBe(true);
    expect(g.remove({ pid: '4' })).toBe(true);
    let s = await scrapeHost(h);
    expect(s.seriesCount('lt_removed')).toBe(18);
    expect(s.value('lt_removed', { pid: '3' })).toBeUndefined();
    g.inc({ pid: 3 }, 1);
    g.inc({ pid: '4' }, 2);
    g.set({ pid: 5 }, 50);
    s = await scrapeHost(h);
    expect(s.seriesCount('lt_removed')).toBe(20);
    expect([s.value('lt_removed', { pid: '3' }), s.value('lt_removed', { pid: '4' }), s.value('lt_removed', { pid: '5' })]).toEqual([1, 2, 50]);
  });

  it('a label set cached as a handle is evicted by the TTL, binds again, then gets its child', async () => {
    const h = host();
    const slots = h.gauge({ name: 'lt_slots', help: 'x', labelNames: ['worker'], ttl: 30 });
    slots.set({ worker: 'w1' }, 1);
    slots.set({ worker: 'w2' }, 2);
    h.maintain();
    await new Promise((r) => setTimeout(r, 60));
    slots.set({ worker: 'w2' }, 3);
    h.maintain();
    await new Promise((r) => setTimeout(r, 60));
    h.maintain();
    let s = await scrapeHost(h);
    expect(s.seriesCount('lt_slots')).toBe(0);
    slots.set({ worker: 'w1' }, 5);
    s = await scrapeHost(h);
    expect(s.value('lt_slots', { worker: 'w1' })).toBe(5);
    slots.labels({ worker: 'w1' }).inc(1);
    slots.set({ worker: 'w3' }, 9);
    s = await scrapeHost(h);
    expect([s.value('lt_slots', { worker: 'w1' }), s.value('lt_slots', { worker: 'w3' }), s.seriesCount('lt_slots')]).toEqual([6, 9, 2]);
  });
});
