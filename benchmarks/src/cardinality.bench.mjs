/**
 * cardinality: the label-policy top-N scenario. An `org` label takes 10,000 distinct values with
 * Zipf-like activity (a few heavy hitters, a long tail), as on a multi-tenant CI server. Measured:
 * `observe({ org, route }, v)` cost and series scraped, for metricore with
 * `labelPolicy: { org: { topN: 20 } }`, metricore without a policy, and prom-client (no policy
 * exists there). Totals must survive folding: the scraped `_count` over all series equals the
 * number of observations recorded.
 *
 * Then the streams from the label-policy issues, each in fresh child processes, each run a second
 * time allocating the same names and label objects without recording (the baseline), so resident
 * growth is reported beyond what V8's young generation does with that churn:
 * - 1,000,000 distinct org values (quick: 50,000), each seen once, through a `topN: 20` histogram
 *   with 4 routes: series scraped (target 21 per route), exposed values and how many of the true
 *   top 20 are among them, series over the stream, resident growth (target ≤ 16 MiB), and the
 *   cost of an unseen org against an admitted one;
 * - a shifting bursty stream in real time (6 phases, quick: 3): every 4 s, 5 new orgs send 6,000
 *   builds each within 1.5 s, 1,000 one-off orgs a second throughout, `topN: 5`, re-rank 1 s,
 *   `demotedTtl: '5s'`: per phase the values exposed, how many of its 5 are exposed and after how
 *   long, the series count every 250 ms (bound: 5 + 1 + the demotions within 5 s).
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
  const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const distinct = runChild('distinct-orgs-child.mjs', [String(quick ? 50_000 : 1_000_000)]);
  const distinctBaseline = runChild('distinct-orgs-child.mjs', [String(quick ? 50_000 : 1_000_000), '--baseline']);
  distinct.baselineRssGrowthBytes = distinctBaseline.rssGrowthBytes;
  distinct.rssBeyondBaselineBytes = distinct.rssGrowthBytes - distinctBaseline.rssGrowthBytes;
  log(
    `cardinality ${distinct.distinct} distinct orgs, topN 20: ${distinct.seriesPerRoute.join('/')} series per route, ` +
      `${distinct.exposedValues} org values exposed, ${distinct.trueTopExposed}/20 of the true top 20, ` +
      `series over the stream ${distinct.seriesOverTime.map(([, n]) => n).join(',')}, ` +
      `rss +${mib(distinct.rssGrowthBytes)} (JS heap +${mib(distinct.heapTotalGrowthBytes)}; baseline without recording +${mib(distinctBaseline.rssGrowthBytes)}, beyond it ${mib(distinct.rssBeyondBaselineBytes)}), ` +
      `unseen ${distinct.unseenNs.toFixed(0)} ns, known ${distinct.knownNs.toFixed(1)} ns, exact ${distinct.exact}`,
  );
  const phases = quick ? 3 : 6;
  const bursty = runChild('bursty-orgs-child.mjs', [String(phases)]);
  const burstyBaseline = runChild('bursty-orgs-child.mjs', [String(phases), '--baseline']);
  bursty.baselineRssGrowthBytes = burstyBaseline.rssGrowthBytes;
  bursty.rssBeyondBaselineBytes = bursty.rssGrowthBytes - burstyBaseline.rssGrowthBytes;
  for (const p of bursty.phases) {
    log(
      `cardinality bursty phase ${p.phase}: ${p.burstExposed}/5 of its burst orgs exposed` +
        `${p.allExposedAfterMs === null ? '' : ` (all after ${p.allExposedAfterMs} ms)`}, ${p.series} series, exposed ${p.exposed.join(',')}`,
    );
  }
  log(
    `cardinality bursty: series every 250 ms ${bursty.seriesOverTime.map(([, n]) => n).join(',')} (max ${Math.max(...bursty.seriesOverTime.map(([, n]) => n))}), ` +
      `${bursty.oneOffs} one-off orgs, rss +${mib(bursty.rssGrowthBytes)} (baseline +${mib(burstyBaseline.rssGrowthBytes)}, beyond it ${mib(bursty.rssBeyondBaselineBytes)}), scraped ${bursty.scraped} of ${bursty.recorded} recorded (demoted series that left took theirs)`,
  );
  return { distinctOrgs: quick ? 1000 : 10_000, opsPerSample: ops, reps, rows, distinct, bursty };
}

/** runChild: runs a lib/ child process with --expose-gc and returns the JSON line it prints last. */
function runChild(file, args) {
  const child = fileURLToPath(new URL(`./lib/${file}`, import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', child, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop());
}

runScenario('cardinality', cardinality);
