/**
 * bursty-orgs-child: the label-policy issue's shifting bursty stream, in real time, in a process of
 * its own. Each phase 5 new orgs send a burst of 6,000 builds each within 1.5 s, then go quiet
 * until the next phase 4 s later, while 1,000 one-off orgs a second arrive throughout; a histogram
 * with `{ topN: 5, rerankIntervalMs: 1000, demotedTtl: '5s' }` and the host's own upkeep.
 *
 * Prints one JSON line: per phase, the org values exposed at its end, how many of the phase's 5
 * burst orgs (the true top 5 of the last intervals) are exposed and how long after the burst began;
 * the series count every 250 ms; resident and JS-heap growth over the stream (after GC). With
 * `--baseline` it allocates the same org names and label objects on the same schedule without
 * recording, so the caller can subtract what V8 does with that churn.
 */
import { MetricsHost } from '@metricore/framework';
import { parseScrape } from '@metricore/framework/testing';

const phases = Number(process.argv[2] ?? 6);
const baseline = process.argv.includes('--baseline');
const BURST_ORGS = 5;
const BURST_BUILDS = 6000;
const BURST_MS = 1500;
const PHASE_MS = 4000;
const ONE_OFFS_PER_MS = 1;
const NAME = 'bench_bursty_build_seconds';

const host = new MetricsHost({ registry: 'bench-bursty', labelPolicy: { org: { topN: BURST_ORGS, rerankIntervalMs: 1000, demotedTtl: '5s' } } });
const h = host.histogram({ name: NAME, help: 'Builds of a shifting bursty stream.', labelNames: ['org'], buckets: [1, 10, 100, 1000] });
// The baseline keeps the last label object alive the way a call would, so nothing is optimised away.
const sink = [undefined];
const observe = baseline ? (labels) => (sink[0] = labels) : (labels, v) => h.observe(labels, v);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function exposure() {
  if (baseline) return { series: 0, orgs: [] };
  const family = parseScrape(await host.metrics()).family(NAME);
  const orgs = (family?.metrics ?? []).map((m) => m.labels.org);
  return { series: orgs.length, orgs };
}

globalThis.gc();
await sleep(50);
globalThis.gc();
const before = process.memoryUsage();
const start = performance.now();
const seriesOverTime = [];
const phaseResults = [];
let oneOffs = 0;
let recorded = 0;
let nextSample = 0;

for (let phase = 0; phase < phases; phase++) {
  const orgs = Array.from({ length: BURST_ORGS }, (_, i) => `burst${phase}-${i}`);
  const phaseStart = phase * PHASE_MS;
  let sent = 0;
  let allExposedMs;
  for (;;) {
    const now = performance.now() - start;
    if (now >= phaseStart + PHASE_MS) break;
    // The burst's builds due by now, round-robin over its orgs.
    const due = Math.min(BURST_BUILDS, Math.floor(((now - phaseStart) / BURST_MS) * BURST_BUILDS));
    for (; sent < due; sent++) for (const org of orgs) observe({ org }, 42);
    // One-off orgs due by now: never seen before, never seen again.
    for (const dueOneOffs = Math.floor(now * ONE_OFFS_PER_MS); oneOffs < dueOneOffs; oneOffs++) observe({ org: `once-${oneOffs}` }, 1);
    if (now >= nextSample) {
      const seen = await exposure();
      seriesOverTime.push([Math.round(now), seen.series]);
      if (allExposedMs === undefined && !baseline && orgs.every((o) => seen.orgs.includes(o))) allExposedMs = Math.round(now - phaseStart);
      nextSample += 250;
    }
    await sleep(10);
  }
  const seen = await exposure();
  phaseResults.push({
    phase,
    exposed: seen.orgs.filter((o) => o !== '__other__').sort(),
    series: seen.series,
    burstExposed: orgs.filter((o) => seen.orgs.includes(o)).length,
    allExposedAfterMs: allExposedMs ?? null,
  });
  recorded += BURST_ORGS * BURST_BUILDS;
}
recorded += oneOffs;

globalThis.gc();
await sleep(50);
globalThis.gc();
const after = process.memoryUsage();
let scraped = 0;
if (!baseline) {
  const family = parseScrape(await host.metrics()).family(NAME);
  scraped = (family?.metrics ?? []).reduce((sum, m) => sum + Number(m.count), 0);
}
console.log(
  JSON.stringify({
    baseline,
    phases: phaseResults,
    seriesOverTime,
    oneOffs,
    rssGrowthBytes: after.rss - before.rss,
    heapUsedGrowthBytes: after.heapUsed - before.heapUsed,
    heapTotalGrowthBytes: after.heapTotal - before.heapTotal,
    recorded,
    // Series that left the exposition (demotedTtl) took their counts with them: scraped ≤ recorded.
    scraped,
  }),
);
await host.close();
