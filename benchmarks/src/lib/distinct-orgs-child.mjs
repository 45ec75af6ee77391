/**
 * distinct-orgs-child: N distinct org values, each seen once, through a `topN: 20` histogram with
 * 4 routes, in a process of its own. Prints one JSON line: series per route, the org values exposed
 * and how many of the true top 20 (the busy tenants) are among them, the series count at every
 * upkeep of the stream, resident-memory growth over the stream (after GC), ns per observation of an
 * unseen org and of an admitted one, and whether the scraped count equals what was recorded.
 * With `--baseline` it builds the same names and label objects without recording, so the caller
 * can subtract what V8 does with that churn (its young generation) from the growth.
 */
import { MetricsHost } from '@metricore/framework';
import { parseScrape } from '@metricore/framework/testing';

const distinct = Number(process.argv[2]);
const baseline = process.argv.includes('--baseline');
const ROUTES = ['/a', '/b', '/c', '/d'];
const NAME = 'bench_distinct_seconds';
const host = new MetricsHost({ registry: 'bench-distinct', labelPolicy: { org: { topN: 20 } } });
const h = host.histogram({ name: NAME, help: 'A stream of unseen orgs.', labelNames: ['org', 'route'], buckets: [0.01, 0.1, 1, 10] });
// The baseline keeps the last label object alive the way a call would, so nothing is optimised away.
const sink = [undefined];
const observe = baseline ? (labels) => (sink[0] = labels) : (labels, v) => h.observe(labels, v);

/** The family's series now (0 in the baseline, which records nothing). */
async function seriesNow() {
  if (baseline) return 0;
  return parseScrape(await host.metrics()).seriesCount(NAME);
}

// The 20 admitted orgs arrive first and stay the busiest: they are the true top 20.
const known = Array.from({ length: 20 }, (_, i) => `tenant-${i}`);
for (let r = 0; r < 50; r++) for (const org of known) for (const route of ROUTES) h.observe({ org, route }, 0.5);
let recorded = 50 * 20 * ROUTES.length;
host.maintain();
globalThis.gc();
const before = process.memoryUsage();
const rssBefore = before.rss;

const BATCH = 10_000;
const seriesOverTime = [];
let unseenNs = 0;
for (let start = 0; start < distinct; start += BATCH) {
  // Names are built outside the timed loop.
  const names = Array.from({ length: Math.min(BATCH, distinct - start) }, (_, i) => `org-${start + i}`);
  const t = process.hrtime.bigint();
  for (let i = 0; i < names.length; i++) observe({ org: names[i], route: ROUTES[i & 3] }, 0.5);
  unseenNs += Number(process.hrtime.bigint() - t);
  recorded += names.length;
  if ((start / BATCH) % 10 === 0) {
    host.maintain();
    seriesOverTime.push([start, await seriesNow()]);
  }
}
host.maintain();
seriesOverTime.push([distinct, await seriesNow()]);
globalThis.gc();
const after = process.memoryUsage();
const rssAfter = after.rss;

const KNOWN_OPS = 1_000_000;
const labels = known.map((org, i) => ({ org, route: ROUTES[i & 3] }));
const t = process.hrtime.bigint();
for (let i = 0; i < KNOWN_OPS; i++) h.observe(labels[i % 20], 0.5);
const knownNs = Number(process.hrtime.bigint() - t) / KNOWN_OPS;
recorded += KNOWN_OPS;

const scrape = parseScrape(await host.metrics());
const family = scrape.family(NAME);
const seriesPerRoute = ROUTES.map((route) => family.metrics.filter((m) => m.labels.route === route).length);
const exposed = [...new Set(family.metrics.map((m) => m.labels.org).filter((o) => o !== '__other__'))].sort();
const scraped = family.metrics.reduce((sum, m) => sum + Number(m.count), 0);
console.log(
  JSON.stringify({
    distinct,
    baseline,
    seriesPerRoute,
    exposedValues: exposed.length,
    trueTopExposed: known.filter((o) => exposed.includes(o)).length,
    seriesOverTime,
    rssGrowthBytes: rssAfter - rssBefore,
    // The JS heap's share of that growth (V8 keeps the pages it grew into for the garbage).
    heapTotalGrowthBytes: after.heapTotal - before.heapTotal,
    heapUsedGrowthBytes: after.heapUsed - before.heapUsed,
    unseenNs: unseenNs / distinct,
    knownNs,
    recorded,
    scraped,
    exact: baseline || scraped === recorded,
  }),
);
await host.close();
