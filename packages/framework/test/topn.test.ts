/**
 * Top-N through the framework with the core's clock set by hand (`setManualClock`): which values
 * are exposed and how many series there are after steady, bursty, Zipf, stopping and stable
 * streams, and that increments between two scrapes add up to exactly what was recorded.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import type { Counter, MetricsHost } from '@metricore/framework';
import { createTestHost, scrapeHost, type Scrape } from '@metricore/framework/testing';
import { FOLDED_CACHE_LIMIT } from '../src/labels.js';
import type { NativeCore } from '../src/native.js';

const core = createRequire(createRequire(import.meta.url).resolve('@metricore/framework'))('@metricore/core-native') as NativeCore;

const INTERVAL = 1000;

/** Values of a counter family by org, from a scrape. */
function byOrg(scrape: Scrape, name: string): Map<string, number> {
  return new Map((scrape.family(name)?.metrics ?? []).map((m) => [m.labels!.org, Number(m.value)]));
}

/**
 * Stream: drives a host on the manual clock: samples at given times, the host's upkeep at every
 * whole re-rank interval, scrapes that check increments, and the series count after each upkeep.
 */
class Stream {
  now = 0;
  private nextUpkeep = INTERVAL;
  /** Recorded since the last scrape. */
  private pending = 0;
  private last = new Map<string, number>();
  /** Series of the family after every upkeep. */
  readonly seriesOverTime: number[] = [];
  readonly builds: Counter<'org'>;

  constructor(
    readonly host: MetricsHost,
    readonly name: string,
  ) {
    core.setManualClock(0);
    this.builds = host.counter({ name, help: 'Builds.', labelNames: ['org'] });
  }

  /** Moves the clock to `t`, running the upkeep at every whole interval passed. */
  tickTo(t: number): void {
    while (this.nextUpkeep <= t) {
      core.setManualClock(this.nextUpkeep);
      this.host.maintain();
      this.seriesOverTime.push(this.seriesNow());
      this.nextUpkeep += INTERVAL;
    }
    this.now = t;
    core.setManualClock(t);
  }

  private seriesNow(): number {
    return core.familySnapshot(this.builds.familyId).length;
  }

  inc(org: string, n = 1): void {
    for (let i = 0; i < n; i++) this.builds.inc({ org });
    this.pending += n;
  }

  /**
   * scrape: the exposition now, after checking that the increments since the previous scrape
   * (a series new since then counts from 0; a lower value is a counter reset) add up to exactly
   * what was recorded in between: what `sum(rate(...))` sees.
   */
  async scrape(): Promise<Map<string, number>> {
    const values = byOrg(await scrapeHost(this.host), this.name);
    let increments = 0;
    for (const [org, v] of values) {
      const before = this.last.get(org) ?? 0;
      increments += v >= before ? v - before : v;
    }
    expect(increments).toBe(this.pending);
    this.pending = 0;
    this.last = values;
    return values;
  }
}

function orgs(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

function exposed(values: Map<string, number>): string[] {
  return [...values.keys()].filter((o) => o !== '__other__').sort();
}

afterEach(() => core.setManualClock(null));

describe('top-N over time', () => {
  it('follows a shifting heavy set under steady traffic, and demoted series leave after demotedTtl', async () => {
    const host = createTestHost({ labelPolicy: { org: { topN: 5, rerankIntervalMs: INTERVAL, demotedTtl: '3s' } } });
    const s = new Stream(host, 'steady_builds_total');
    const light = orgs('light', 20);
    for (let phase = 0; phase < 4; phase++) {
      const heavy = orgs(`heavy${phase}-`, 5);
      const start = phase * 6000;
      let admittedAfter: number | undefined;
      // 5 heavy orgs at 200/s each, 20 light ones at 20/s, in 10 ms ticks, for 6 s.
      for (let tick = 0; tick < 600; tick++) {
        s.tickTo(start + tick * 10);
        for (const org of heavy) s.inc(org, 2);
        if (tick % 5 === 0) for (const org of light) s.inc(org);
        if (tick % 100 === 99) {
          const values = await s.scrape();
          if (admittedAfter === undefined && heavy.every((o) => values.has(o))) admittedAfter = Math.floor(s.now / INTERVAL) - start / INTERVAL;
        }
      }
      s.tickTo(start + 6000);
      const values = await s.scrape();
      // Exposed: this phase's heavy set, the previous one while within demotedTtl, __other__.
      expect(exposed(values).filter((o) => o.startsWith(`heavy${phase}-`))).toEqual(heavy);
      expect(exposed(values).filter((o) => o.startsWith('light'))).toEqual([]);
      // A set that replaced one of the same rate is admitted by the third re-rank after the switch.
      if (phase > 0) expect(admittedAfter).toBeLessThanOrEqual(3);
    }
    // At most N + 1 + the demotions within demotedTtl (one set of 5) at any upkeep.
    expect(Math.max(...s.seriesOverTime)).toBeLessThanOrEqual(5 + 1 + 5);
    // Once demotedTtl has passed with the last set steady, only it and __other__ are left.
    for (let tick = 0; tick < 400; tick++) {
      s.tickTo(24_000 + tick * 10);
      for (const org of orgs('heavy3-', 5)) s.inc(org);
    }
    s.tickTo(28_000);
    const values = await s.scrape();
    expect(exposed(values)).toEqual(orgs('heavy3-', 5));
    expect(values.size).toBe(6);
    const text = (await scrapeHost(host)).text;
    expect(text).toContain('metricore_topn_changes_total{family="steady_builds_total",label="org",change="admitted"} 15\n');
    expect(text).toContain('metricore_topn_changes_total{family="steady_builds_total",label="org",change="demoted"} 15\n');
    await host.close();
  });

  it('admits bursts followed by quiet within two re-ranks (5 orgs x 6,000 builds, a new set every 4 s)', async () => {
    const host = createTestHost({ labelPolicy: { org: { topN: 5, rerankIntervalMs: INTERVAL, demotedTtl: 3000 } } });
    const s = new Stream(host, 'burst_builds_total');
    for (let phase = 0; phase < 5; phase++) {
      const burst = orgs(`burst${phase}-`, 5);
      const start = phase * 4000 + 300;
      let exposedAt: number | undefined;
      // 6,000 builds per org over 1.5 s, then quiet until the next phase.
      for (let i = 0; i < 6000; i++) {
        s.tickTo(start + Math.floor((i * 1500) / 6000));
        for (const org of burst) s.inc(org);
        if (exposedAt === undefined && i % 100 === 99) {
          const values = await s.scrape();
          if (burst.every((o) => values.has(o))) exposedAt = s.now;
        }
      }
      expect(exposedAt, `phase ${phase}: the burst's orgs were never exposed`).toBeDefined();
      const reranks = Math.floor(exposedAt! / INTERVAL) - Math.floor(start / INTERVAL);
      expect(reranks).toBeLessThanOrEqual(phase === 0 ? 0 : 2);
      s.tickTo((phase + 1) * 4000);
      const values = await s.scrape();
      expect(exposed(values).filter((o) => o.startsWith(`burst${phase}-`))).toEqual(burst);
      expect(values.size).toBeLessThanOrEqual(5 + 1 + 5);
    }
    expect(Math.max(...s.seriesOverTime)).toBeLessThanOrEqual(5 + 1 + 5);
    await host.close();
  });

  it('keeps the heavy hitters of a Zipf stream and no more than N + 1 series once demotions expire', async () => {
    const host = createTestHost({ labelPolicy: { org: { topN: 5, rerankIntervalMs: INTERVAL, demotedTtl: '2s' } } });
    const s = new Stream(host, 'zipf_builds_total');
    const weights = Array.from({ length: 2000 }, (_, i) => 1 / (i + 1));
    const total = weights.reduce((a, b) => a + b);
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const pick = () => {
      let u = random() * total;
      for (let i = 0; i < weights.length; i++) if ((u -= weights[i]) <= 0) return i + 1;
      return weights.length;
    };
    // The tail arrives first and takes the free places; 2,000 samples/s for 10 s.
    for (let i = 0; i < 5; i++) s.inc(`org${1995 + i}`);
    for (let i = 0; i < 20_000; i++) {
      s.tickTo(Math.floor(i / 2));
      s.inc(`org${pick()}`);
      if (i % 4000 === 3999) await s.scrape();
    }
    s.tickTo(10_000);
    const values = await s.scrape();
    expect(exposed(values)).toEqual(['org1', 'org2', 'org3', 'org4', 'org5']);
    expect(values.size).toBe(6);
    expect(Math.max(...s.seriesOverTime)).toBeLessThanOrEqual(5 + 1 + 5);
    await host.close();
  });

  it('demotes a heavy org that stops entirely within a few intervals; its series stays for demotedTtl', async () => {
    const host = createTestHost({ labelPolicy: { org: { topN: 3, rerankIntervalMs: INTERVAL, demotedTtl: '5s' } } });
    const s = new Stream(host, 'stop_builds_total');
    const run = async (from: number, to: number, big: boolean) => {
      for (let t = from; t < to; t += 10) {
        s.tickTo(t);
        s.inc('a');
        s.inc('b');
        if (big) s.inc('big', 50);
        if (t % 20 === 0) s.inc('steady');
      }
      s.tickTo(to);
      return s.scrape();
    };
    let values = await run(0, 5000, true);
    expect(exposed(values)).toEqual(['a', 'b', 'big']);
    const bigTotal = values.get('big')!;
    // big (5,000/s) stops; steady (50/s) must take its place within 4 re-ranks.
    values = await run(5000, 9000, false);
    expect(exposed(values)).toEqual(['a', 'b', 'big', 'steady']);
    expect(values.get('big')).toBe(bigTotal);
    const changes = (await scrapeHost(host)).value('metricore_topn_changes_total', { family: 'stop_builds_total', label: 'org', change: 'demoted' });
    expect(changes).toBe(1);
    // 5 s after its demotion its series has left the exposition.
    values = await run(9000, 14_000, false);
    expect(exposed(values)).toEqual(['a', 'b', 'steady']);
    await host.close();
  });

  it('does not flap on a stable stream with random arrivals', async () => {
    const host = createTestHost({ labelPolicy: { org: { topN: 3, rerankIntervalMs: INTERVAL } } });
    const s = new Stream(host, 'stable_builds_total');
    for (const org of ['a', 'b', 'c']) s.inc(org);
    let seed = 11;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const rates: Array<[string, number]> = [['a', 100], ['b', 90], ['c', 80], ['d', 78]];
    const sum = rates.reduce((x, [, r]) => x + r, 0) + 50;
    let t = 0;
    let noise = 0;
    while (t < 120_000) {
      t += (-Math.log(1 - random()) / sum) * 1000;
      s.tickTo(Math.floor(t));
      let u = random() * sum;
      const hit = rates.find(([, r]) => (u -= r) < 0);
      s.inc(hit ? hit[0] : `noise${noise++}`);
    }
    const values = await s.scrape();
    expect(exposed(values)).toEqual(['a', 'b', 'c']);
    const scrape = await scrapeHost(host);
    for (const change of ['admitted', 'demoted']) {
      expect(scrape.value('metricore_topn_changes_total', { family: 'stable_builds_total', label: 'org', change })).toBe(0);
    }
    expect(scrape.value('metricore_topn_threshold', { family: 'stable_builds_total', label: 'org' })).toBeGreaterThan(0);
    await host.close();
  });

  it('does not cache folded label sets per distinct value: overflow, allowlist misses, the top-N tail', async () => {
    const host = createTestHost({ labelPolicy: { cache: { allow: ['main'] }, org: { topN: 5 } } });
    const capped = host.counter({ name: 'capped_total', help: 'c', labelNames: ['id'], maxSeries: 100 });
    const caches = host.counter({ name: 'cache_hits_total', help: 'c', labelNames: ['cache'] });
    const tenants = host.counter({ name: 'tenant_builds_total', help: 'c', labelNames: ['org'] });
    const cached = (metric: unknown) => {
      // Entries of the binder's label tree (one level per label here): its inline value and its Map.
      const root = (metric as { binder: { root: { key: unknown; more?: Map<unknown, unknown> } } }).binder.root;
      return (root.key === undefined ? 0 : 1) + (root.more?.size ?? 0);
    };
    for (let i = 0; i < 20_000; i++) {
      capped.inc({ id: `id-${i}` });
      caches.inc({ cache: `miss-${i}` });
      tenants.inc({ org: `org-${i}` });
    }
    caches.inc({ cache: 'main' });
    expect(cached(capped)).toBeLessThanOrEqual(100 + FOLDED_CACHE_LIMIT);
    expect(cached(caches)).toBeLessThanOrEqual(1 + FOLDED_CACHE_LIMIT);
    expect(cached(tenants)).toBeLessThanOrEqual(5);
    const scrape = await scrapeHost(host);
    expect(scrape.seriesCount('capped_total')).toBe(101);
    expect(scrape.value('capped_total', { id: '__overflow__' })).toBe(19_900);
    expect(scrape.value('cache_hits_total', { cache: '__other__' })).toBe(20_000);
    expect(scrape.value('metricore_label_values_folded_total', { family: 'cache_hits_total', label: 'cache', reason: 'allowlist' })).toBe(20_000);
    expect(scrape.value('tenant_builds_total', { org: '__other__' })).toBe(19_995);
    await host.close();
  });

  it('validates demotedTtl', () => {
    expect(() => createTestHost({ labelPolicy: { org: { topN: 3, demotedTtl: 'soon' } } })).toThrow(
      'MetricsHost label "org": option "demotedTtl": expected a positive duration in ms or a string like "15m", got "soon"',
    );
    expect(() => createTestHost({ labelPolicy: { org: { allow: ['a'], demotedTtl: '5m' } } })).toThrow(
      'MetricsHost label "org": option "demotedTtl" applies to values top-N demotes; set topN too',
    );
  });
});
