/**
 * builds: @metricore/plugin-builds' two costs.
 *
 * 1. One build-finished event: three histogram observes (build duration, dependency wait, dispatch
 *    wait) and one counter increment, through the plugin's hook (`getHooks(host).buildFinished.call`),
 *    against prom-client doing the same four recordings with the same label objects. Each loop is
 *    compiled from its own source text; events cycle through 16 pre-built payloads and values
 *    through 65,536 log-uniform ones (scaled to 0.5 s .. 4 h). Counts are checked afterwards.
 * 2. The SQL source's scrape over PGlite (in this process) holding 10,000 builds of 100 orgs
 *    (300 projects, 1,000 evaluations), with result caching off: every scrape runs all five queries.
 */
import { Bench } from 'tinybench';
import client from 'prom-client';
import { PGlite } from '@electric-sql/pglite';
import { MetricsHost } from '@metricore/framework';
import { scrapeHost } from '@metricore/framework/testing';
import buildsMetrics, { SCHEMA_SQL, durationBuckets, getHooks, waitBuckets } from '@metricore/plugin-builds';
import { VALUE_MASK, logUniformValues } from './lib/inputs.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const STATUSES = ['completed', 'completed', 'completed', 'substituted', 'failed_permanent', 'failed_transient', 'aborted', 'completed'];

function payloads() {
  return Array.from({ length: 16 }, (_, i) => ({ org: `org${i % 5}`, project: `project${i % 3}`, status: STATUSES[i % STATUSES.length] }));
}

function compileLoop(statement, env, ops, counter) {
  const names = Object.keys(env);
  const src = `
let offset = 0;
return function run() {
  const off = offset;
  offset = (offset + 7919) & MASK;
  for (let i = 0; i < OPS; i++) {
    const v = values[(i + off) & MASK];
    const e = events[i & 15];
    ${statement};
  }
  counter.calls++;
};`;
  // eslint-disable-next-line no-new-func
  return new Function(...names, 'MASK', 'OPS', 'counter', src)(...names.map((n) => env[n]), VALUE_MASK, ops, counter);
}

async function eventCost({ quick }) {
  const ops = quick ? 16_384 : 131_072;
  const iterations = quick ? 5 : 10;
  // Scaled from the shared 0.5 ms .. 15 s inputs to ~0.5 s .. 4 h.
  const values = logUniformValues().map((v) => v * 1000);
  const bench = new Bench({ iterations, time: 0, warmup: true, warmupIterations: quick ? 2 : 5, warmupTime: 0, retainSamples: true });

  const host = new MetricsHost({ registry: 'bench-builds' });
  host.use(buildsMetrics());
  const hooks = getHooks(host);
  const metricoreCalls = { calls: 0 };
  // The event objects are the application's: it sets the values and calls the hook.
  const events = payloads().map((p) => ({ ...p, durationSeconds: 0, dependencyWaitSeconds: 0, dispatchWaitSeconds: 0 }));
  bench.add(
    'event|metricore',
    compileLoop('e.durationSeconds = v; e.dependencyWaitSeconds = v; e.dispatchWaitSeconds = v; hook.call(e)', { values, events, hook: hooks.buildFinished }, ops, metricoreCalls),
  );

  const registry = new client.Registry();
  const pc = {
    total: new client.Counter({ name: 'builds_total', help: 'h', labelNames: ['org', 'project', 'status'], registers: [registry] }),
    duration: new client.Histogram({ name: 'build_duration_seconds', help: 'h', labelNames: ['org', 'project', 'status'], buckets: durationBuckets(), registers: [registry] }),
    dependency: new client.Histogram({ name: 'build_dependency_wait_seconds', help: 'h', labelNames: ['org'], buckets: waitBuckets(), registers: [registry] }),
    dispatch: new client.Histogram({ name: 'build_dispatch_wait_seconds', help: 'h', labelNames: ['org'], buckets: waitBuckets(), registers: [registry] }),
  };
  const orgOnly = payloads().map((p) => ({ org: p.org }));
  const pcEvents = payloads().map((p, i) => ({ labels: p, org: orgOnly[i] }));
  bench.add(
    'event|prom-client',
    compileLoop('total.inc(e.labels); duration.observe(e.labels, v); dependency.observe(e.org, v); dispatch.observe(e.org, v)', { values, events: pcEvents, ...pc }, ops, { calls: 0 }),
  );

  log(`builds: event cost, ${bench.tasks.length} tasks x ${iterations} samples of ${ops} events`);
  bench.addEventListener('cycle', (e) => log(`  ${e.task.name}: ${((e.task.result.latency.mean * 1e6) / ops).toFixed(1)} ns/event`));
  await bench.run();
  const rows = bench.tasks.map((task) => ({ library: task.name.split('|')[1], nsPerEvent: summarize(task.result.latency.samples.map((ms) => (ms * 1e6) / ops)) }));

  // Exactness: every event is in the counter and the three histograms.
  const scrape = await scrapeHost(host);
  const recorded = scrape.family('builds_total').metrics.reduce((s, m) => s + Number(m.value), 0);
  const expected = metricoreCalls.calls * ops;
  const observed = scrape.family('build_dispatch_wait_seconds').metrics.reduce((s, m) => s + Number(m.count), 0);
  if (recorded !== expected || observed !== expected) log(`  MISMATCH: ${expected} events, counted ${recorded}, dispatch waits ${observed}`);
  await host.close();
  return { rows, opsPerSample: ops, iterations, verified: { expected, counted: recorded, observed, exact: recorded === expected && observed === expected } };
}

async function sqlScrapeCost({ quick }) {
  const started = performance.now();
  const db = await PGlite.create();
  await db.exec(SCHEMA_SQL);
  await db.exec(`
INSERT INTO organization (name) SELECT 'org' || i FROM generate_series(1, 100) i;
INSERT INTO project (organization, name) SELECT 1 + (i % 100), 'project' || i FROM generate_series(1, 300) i;
INSERT INTO evaluation (project, status) SELECT 1 + (i % 300), (ARRAY['completed','failed','queued','building'])[1 + i % 4] FROM generate_series(1, 1000) i;
INSERT INTO build (evaluation, status, build_time_ms)
  SELECT 1 + (i % 1000), (ARRAY['completed','substituted','failed_permanent','queued','building','aborted','failed_timeout'])[1 + i % 7], i * 10
  FROM generate_series(1, 10000) i;
INSERT INTO cache (name) SELECT 'cache' || i FROM generate_series(1, 10) i;
INSERT INTO cache_metric (cache, bucket_time, bytes_sent, nar_count)
  SELECT c, date_trunc('minute', now()) - make_interval(mins => m), 1000 * m, m FROM generate_series(1, 10) c, generate_series(0, 59) m;
INSERT INTO nar (cache, file_size) SELECT 1 + (i % 10), i FROM generate_series(1, 2000) i;
`);
  const setupSeconds = (performance.now() - started) / 1000;
  const host = new MetricsHost({ registry: 'bench-builds-sql' });
  host.use(buildsMetrics({ sql: { client: db, minIntervalMs: 0 } }));
  const scrapes = quick ? 5 : 30;
  const samples = [];
  let body = '';
  for (let i = 0; i < 2; i++) body = await host.metrics(); // warm-up: first run defines every series
  for (let i = 0; i < scrapes; i++) {
    const t = performance.now();
    body = await host.metrics();
    samples.push(performance.now() - t);
  }
  const series = body.split('\n').filter((l) => l.startsWith('builds_total{') || l.startsWith('builds_in_state{')).length;
  const total = body
    .split('\n')
    .filter((l) => l.startsWith('builds_total{') || l.startsWith('builds_in_state{'))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  log(`builds: SQL scrape over PGlite, 10k builds / 100 orgs: median ${summarize(samples).median.toFixed(1)} ms (${series} build series, ${total} builds)`);
  await host.close();
  await db.close();
  return { msPerScrape: summarize(samples), buildSeries: series, buildsCounted: total, exact: total === 10000, setupSeconds };
}

async function builds({ quick }) {
  const events = await eventCost({ quick });
  const sql = await sqlScrapeCost({ quick });
  const by = Object.fromEntries(events.rows.map((r) => [r.library, r.nsPerEvent.median]));
  const markdown = [
    `One build-finished event (3 histogram observes + 1 counter increment), ${events.iterations} samples of ${events.opsPerSample.toLocaleString('en')} events, medians:`,
    '',
    '| library | ns/event | vs prom-client |',
    '|---|---|---|',
    ...events.rows.map((r) => `| ${r.library} | ${r.nsPerEvent.median.toFixed(1)} | ${(by['prom-client'] / r.nsPerEvent.median).toFixed(1)}x |`),
    '',
    `Every event counted: ${events.verified.exact ? 'yes' : `**no** (${JSON.stringify(events.verified)})`}.`,
    '',
    `SQL source scrape over PGlite with 10,000 builds of 100 orgs (all five queries, no caching): median ${sql.msPerScrape.median.toFixed(1)} ms (min ${sql.msPerScrape.min.toFixed(1)}, max ${sql.msPerScrape.max.toFixed(1)}, ${sql.msPerScrape.n} scrapes), ${sql.buildSeries} build series, all 10,000 builds counted: ${sql.exact ? 'yes' : '**no**'}.`,
  ].join('\n');
  return { events, sql, markdown };
}

runScenario('builds', builds);
