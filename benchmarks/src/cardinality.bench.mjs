/**
 * cardinality: the label-policy top-N scenario. An `org` label takes 10,000 distinct values with
 * Zipf-like activity (a few heavy hitters, a long tail), as on a multi-tenant CI server. Measured:
 * `observe({ org, route }, v)` cost and series scraped, for metricore with
 * `labelPolicy: { org: { topN: 20 } }`, metricore without a policy, and prom-client (no policy
 * exists there). Totals must survive folding: the scraped `_count` over all series equals the
 * number of observations recorded.
 *
 * Then the stream from the label-policy issue: 1,000,000 distinct org values (quick: 50,000),
 * each seen once, through a `topN: 20` histogram with 4 routes, in a fresh child process: series
 * scraped (target 21 per route), resident-memory growth (target ≤ 16 MiB), and the cost of an
 * unseen org against an admitted one.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseScrape } from '@metricore/framework/testing';
import { BUCKETS, VALUE_MASK, logUniformValues, mulberry32 } from './lib/inputs.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const METRIC = 'bench_cardinality_build_duration_seconds';

/** zipfOrgs: `n` org names drawn with probability ∝ 1/rank over `distinct` orgs. */
function zipfOrgs(n, distinct, seed = 7) {
  const random = mulberry32(seed);
  const cumulative = new Float64Array(distinct);
  let total = 0;
  for (let i = 0; i < distinct; i++) cumulative[i] = total += 1 / (i + 1);
  const out = new Array(n);
  for (let k = 0; k < n; k++) {
    const target = random() * total;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    out[k] = { org: `org-${lo}`, route: `/route/${k % 4}` };
  }
  return out;
}

async function cardinality({ quick }) {
  const { MetricsHost } = await import('@metricore/framework');
  let policyHost;
  try {
    policyHost = new MetricsHost({ registry: 'bench-card-policy', labelPolicy: { org: { topN: 20 } } });
  } catch (error) {
    return { skipped: `MetricsHost has no labelPolicy option here (${error.message.split('\n')[0]})` };
  }
  const ops = quick ? 16_384 : 1_048_576;
  const reps = 5;
  const labels = zipfOrgs(65_536, quick ? 1000 : 10_000);
  const values = logUniformValues();
  const prom = (await import('prom-client')).default;
  const register = new prom.Registry();
  const subjects = [
    { name: 'metricore, labelPolicy org topN 20', host: policyHost },
    { name: 'metricore, no policy', host: new MetricsHost({ registry: 'bench-card-none' }) },
    { name: 'prom-client', register },
  ];
  const rows = [];
  for (const s of subjects) {
    const h = s.host
      ? s.host.histogram({ name: METRIC, help: 'build duration', labelNames: ['org', 'route'], buckets: BUCKETS })
      : new prom.Histogram({ name: METRIC, help: 'build duration', labelNames: ['org', 'route'], buckets: BUCKETS, registers: [register] });
    // eslint-disable-next-line no-new-func
    const loop = new Function('h', 'labels', 'values', 'MASK', 'OPS', 'for (let i = 0; i < OPS; i++) h.observe(labels[i & MASK], values[i & MASK]);');
    loop(h, labels, values, VALUE_MASK, ops); // warm-up, and the top-N sees the distribution
    const ns = [];
    for (let r = 0; r < reps; r++) {
      const started = performance.now();
      loop(h, labels, values, VALUE_MASK, ops);
      ns.push(((performance.now() - started) * 1e6) / ops);
    }
    const recorded = ops * (reps + 1);
    let series;
    let scraped;
    let scrapeMs;
    // "scrape ms" times the exposition only (metricore: host.metrics(); prom-client:
    // register.metrics()); reading the totals back happens outside the timing.
    let started = performance.now();
    if (s.host) {
      const text = await s.host.metrics();
      scrapeMs = performance.now() - started;
      const scrape = parseScrape(text);
      const family = scrape.family(METRIC);
      series = scrape.seriesCount(METRIC);
      scraped = family ? family.metrics.reduce((sum, m) => sum + Number(m.count ?? 0), 0) : 0;
    } else {
      started = performance.now();
      await register.metrics();
      scrapeMs = performance.now() - started;
      const json = await register.getMetricsAsJSON();
      const counts = json[0].values.filter((v) => v.metricName === `${METRIC}_count`);
      series = counts.length;
      scraped = counts.reduce((sum, v) => sum + v.value, 0);
    }
    const row = { subject: s.name, nsPerOp: summarize(ns), series, recorded, scrapedCount: scraped, exact: scraped === recorded, scrapeMs };
    log(`cardinality ${s.name}: ${row.nsPerOp.median.toFixed(1)} ns/op, ${series} series, count ${scraped}/${recorded}`);
    rows.push(row);
  }
  const child = fileURLToPath(new URL('./lib/distinct-orgs-child.mjs', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', child, String(quick ? 50_000 : 1_000_000)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const distinct = JSON.parse(out.trim().split('\n').pop());
  log(
    `cardinality ${distinct.distinct} distinct orgs, topN 20: ${distinct.seriesPerRoute.join('/')} series per route, ` +
      `rss +${(distinct.rssGrowthBytes / 2 ** 20).toFixed(1)} MiB (JS heap +${(distinct.heapTotalGrowthBytes / 2 ** 20).toFixed(1)} MiB), unseen ${distinct.unseenNs.toFixed(0)} ns, known ${distinct.knownNs.toFixed(1)} ns, exact ${distinct.exact}`,
  );
  return { distinctOrgs: quick ? 1000 : 10_000, opsPerSample: ops, reps, rows, distinct };
}

runScenario('cardinality', cardinality);
