// The live view: every 2 s it scrapes the server's and each worker's /metrics, parses them with the
// framework's test-kit parser, and shows what the metrics themselves say (never the simulator's own
// counters). On a terminal it redraws in place (log-update, picocolors, sparkline); otherwise it
// prints one plain line per interval.
import logUpdate from 'log-update';
import pc from 'picocolors';
import sparkline from 'sparkline';
import { scrapeUrl } from '@metricore/framework/testing';

/**
 * quantile: the q-quantile of a histogram given as cumulative bucket counts by `le`, interpolated
 * linearly inside the bucket as PromQL's histogram_quantile does; undefined when it is empty.
 */
export function quantile(q, buckets) {
  const bounds = Object.keys(buckets).map((le) => [le === '+Inf' ? Infinity : Number(le), buckets[le]]).sort((a, b) => a[0] - b[0]);
  const total = bounds.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let [lower, below] = [0, 0];
  for (const [le, count] of bounds) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1e-12);
    }
    [lower, below] = [le, count];
  }
  return lower;
}

/** sumBuckets: the cumulative buckets of every series of `family` matching `filter`, added up. */
function sumBuckets(scrape, family, filter = () => true) {
  const sum = {};
  for (const m of scrape?.family(family)?.metrics ?? []) {
    if (!filter(m.labels ?? {})) continue;
    for (const [le, v] of Object.entries(m.buckets ?? {})) sum[le] = (sum[le] ?? 0) + Number(v);
  }
  return sum;
}
const minus = (a, b) => Object.fromEntries(Object.entries(a).map(([le, v]) => [le, v - (b?.[le] ?? 0)]));
/** total: a counter or gauge family summed over its series matching `filter`. */
const total = (scrape, family, filter = () => true) => (scrape?.family(family)?.metrics ?? []).filter((m) => filter(m.labels ?? {})).reduce((n, m) => n + Number(m.value), 0);

const ms = (s) => (s === undefined ? '-' : `${(s * 1000).toFixed(1)} ms`);
const sec = (s) => (s === undefined ? '-' : `${s.toFixed(2)} s`);
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB/s`;

/**
 * summarize: the figures the view shows, from the current and previous scrapes of each target
 * (`{ name -> { scrape, at, took } }`, the server named "server"); pure, so tests can check it.
 */
export function summarize(current, previous, { topN }) {
  const s = current.server.scrape;
  const p = previous?.server?.scrape;
  const dt = previous?.server ? (current.server.at - previous.server.at) / 1000 : undefined;
  const HTTP = 'http_server_request_duration_seconds';
  const routes = new Set((s.family(HTTP)?.metrics ?? []).map((m) => m.labels.http_route));
  const busiest = [...routes]
    .map((route) => {
      const now = sumBuckets(s, HTTP, (l) => l.http_route === route);
      const delta = minus(now, sumBuckets(p, HTTP, (l) => l.http_route === route));
      const count = delta['+Inf'] ?? 0;
      return { route, rps: dt ? count / dt : 0, p50: quantile(0.5, delta), p99: quantile(0.99, delta) };
    })
    .sort((a, b) => b.rps - a.rps)
    .slice(0, 5);
  const builds = {};
  for (const m of s.family('builds_total')?.metrics ?? []) builds[m.labels.status] = (builds[m.labels.status] ?? 0) + Number(m.value);
  const orgValues = new Set((s.family('builds_total')?.metrics ?? []).map((m) => m.labels.org));
  const workers = Object.keys(current)
    .filter((name) => name !== 'server')
    .map((name) => {
      const w = current[name].scrape;
      const pw = previous?.[name]?.scrape;
      const wdt = previous?.[name] ? (current[name].at - previous[name].at) / 1000 : undefined;
      const bytes = total(w, 'worker_transfer_bytes_total') - total(pw, 'worker_transfer_bytes_total');
      const busy = total(w, 'worker_build_slot_busy_seconds_total') - total(pw, 'worker_build_slot_busy_seconds_total');
      const max = total(w, 'worker_build_slots_max');
      return { name, throughput: wdt ? bytes / wdt : 0, utilisation: wdt && max ? busy / wdt / max : 0, took: current[name].took };
    });
  const series = (s.families ?? []).map((f) => ({ name: f.name, series: f.metrics.length })).sort((a, b) => b.series - a.series);
  return {
    busiest,
    requestsPerSecond: busiest.reduce((n, r) => n + r.rps, 0),
    builds,
    buildsTotal: Object.values(builds).reduce((a, b) => a + b, 0),
    buildP95: quantile(0.95, sumBuckets(s, 'build_duration_seconds')),
    queue: total(s, 'jobs_pending'),
    dispatchWaitP95: quantile(0.95, sumBuckets(s, 'build_dispatch_wait_seconds')),
    workers,
    orgValues: orgValues.size,
    topN,
    series,
    seriesTotal: series.reduce((n, f) => n + f.series, 0),
    scrapeTook: current.server.took,
  };
}

/** line: one plain line for a non-terminal (also what the test parses). */
export function line(v, elapsed) {
  const builds = Object.entries(v.builds).sort().map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `[${elapsed}s] http ${v.requestsPerSecond.toFixed(1)} req/s${v.busiest[0] ? ` (busiest ${v.busiest[0].route} p50 ${ms(v.busiest[0].p50)} p99 ${ms(v.busiest[0].p99)})` : ''}`,
    `builds=${v.buildsTotal} (${builds}) p95 ${sec(v.buildP95)}`,
    `queue=${v.queue} dispatch wait p95 ${sec(v.dispatchWaitP95)}`,
    ...v.workers.map((w) => `${w.name} ${mib(w.throughput)} slots ${(w.utilisation * 100).toFixed(0)}%`),
    `orgs=${v.orgValues} (top ${v.topN} + __other__)`,
    `series=${v.seriesTotal}`,
    `scrape ${ms(v.scrapeTook / 1000)}`,
  ].join(' | ');
}

function frame(v, elapsed, history, notes) {
  const out = [];
  out.push(pc.bold(`metricore CI farm — ${elapsed}s`) + pc.dim(`  (from /metrics every 2 s; scrape ${ms(v.scrapeTook / 1000)})`));
  out.push('', pc.bold('HTTP') + `  ${v.requestsPerSecond.toFixed(1)} req/s  ${pc.cyan(sparkline(history.rps.length > 1 ? history.rps : [0, 0]))}`);
  for (const r of v.busiest) out.push(`  ${r.route.padEnd(44)} ${r.rps.toFixed(1).padStart(7)}/s  p50 ${ms(r.p50).padStart(9)}  p99 ${ms(r.p99).padStart(9)}`);
  const outcomes = Object.entries(v.builds).sort().map(([k, n]) => (k === 'completed' ? pc.green : k.startsWith('failed') ? pc.red : pc.yellow)(`${k} ${n}`));
  out.push('', pc.bold('Builds') + `  ${v.buildsTotal}: ${outcomes.join('  ')}  duration p95 ${sec(v.buildP95)} (since start)`);
  out.push(`  queue ${v.queue} ${pc.cyan(sparkline(history.queue.length > 1 ? history.queue : [0, 0]))}  dispatch wait p95 ${sec(v.dispatchWaitP95)} (since start)`);
  out.push('', pc.bold('Workers'));
  for (const w of v.workers) out.push(`  ${w.name.padEnd(10)} transfers ${mib(w.throughput).padStart(12)}  slots ${`${(w.utilisation * 100).toFixed(0)}%`.padStart(4)}  scrape ${ms(w.took / 1000)}`);
  const orgs = v.orgValues > v.topN + 1 ? pc.yellow(String(v.orgValues)) : pc.green(String(v.orgValues));
  out.push('', pc.bold('Cardinality') + `  org values exposed ${orgs} (top-N ${v.topN} + __other__ + recent demotions)  series ${v.seriesTotal}`);
  out.push(`  ${v.series.slice(0, 4).map((f) => `${f.name} ${f.series}`).join('  ')}`);
  if (notes.length) out.push('', ...notes.map((n) => pc.magenta(n)));
  out.push('', pc.dim('Ctrl-C to stop'));
  return out.join('\n');
}

/** LiveView: scrapes `targets` every `intervalMs` and draws (tty) or prints a line per interval. */
export class LiveView {
  constructor({ targets, tty, topN, intervalMs = 2000 }) {
    Object.assign(this, { targets, tty, topN, intervalMs });
    this.previous = undefined;
    this.history = { rps: [], queue: [] };
    this.notes = [];
    this.started = Date.now();
  }
  start() {
    this.timer = setInterval(() => this.tick().catch((error) => this.note(`view: scrape failed: ${error.message}`)), this.intervalMs);
  }
  stop() {
    clearInterval(this.timer);
    if (this.tty) logUpdate.done();
  }
  /** note: a message shown under the view (a terminal) or printed on its own line. */
  note(message) {
    if (this.tty) this.notes.push(message);
    else console.log(message);
  }
  async tick() {
    if (this.busy) return; // a slow scrape (a loaded machine) skips an interval rather than overlapping
    this.busy = true;
    let results;
    try {
      results = await Promise.all(
        this.targets.map(async ({ name, url }) => {
          const at = Date.now();
          const t0 = performance.now();
          const scrape = await scrapeUrl(url);
          return [name, { scrape, at, took: performance.now() - t0 }];
        }),
      );
    } finally {
      this.busy = false;
    }
    const current = Object.fromEntries(results);
    const v = summarize(current, this.previous, { topN: this.topN });
    this.previous = current;
    const elapsed = Math.round((Date.now() - this.started) / 1000);
    for (const [key, value] of [['rps', v.requestsPerSecond], ['queue', v.queue]]) {
      this.history[key].push(value);
      if (this.history[key].length > 30) this.history[key].shift();
    }
    if (this.tty) logUpdate(frame(v, elapsed, this.history, this.notes.slice(-3)));
    else console.log(line(v, elapsed));
  }
}
