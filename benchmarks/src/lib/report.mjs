/**
 * report: turns a run's results into the Markdown tables and the target verdicts.
 *
 * Ratios compare medians measured in the same run. "x faster than prom-client" is prom-client's
 * median over the row's; "x the floor" is the row's median over the plain typed-array floor's.
 */
import { memorySection, scaleTargets, scrapeSection, threadsSection } from './report-scale.mjs';
import { startupSection, startupTargets } from './report-startup.mjs';
import { summarize } from './stats.mjs';
import { systemLine } from './system.mjs';

const fmt = (n, digits = 1) => (n == null || Number.isNaN(n) ? '—' : n >= 100 ? n.toFixed(0) : n.toFixed(digits));
const x = (n) => (n == null ? '—' : `${n >= 10 ? n.toFixed(0) : n.toFixed(2)}x`);
const range = (s, d = 1) => `${fmt(s.min, d)}–${fmt(s.max, d)}`;
const bytes = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

const OPERATION_TITLES = {
  bound: 'bound observe: `child.observe(v)` (3-label family)',
  labels1: '`observe(labels, v)`, 1 label',
  labels3: '`observe(labels, v)`, 3 labels',
  labels6: '`observe(labels, v)`, 6 labels',
  unlabelled: 'unlabelled `observe(v)`',
  inc: 'counter `inc()`',
};

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** targets: one verdict per DESIGN.md target, with the measured figure. */
export function evaluateTargets(results) {
  const s = results.scenarios;
  const out = [];
  const add = (figure, target, measured, met) => out.push({ figure, target, measured, met });
  const rec = s.recording?.rows ?? [];
  const ns = (op, lib) => rec.find((r) => r.operation === op && r.library === lib)?.nsPerOp.median;
  if (rec.length) {
    const floor = ns('bound', 'floor');
    const bound = ns('bound', 'metricore');
    const vsProm = ns('bound', 'prom-client') / bound;
    add('bound histogram observe', '≤ 1.0x the floor and ≥ 25x prom-client', `${fmt(bound)} ns = ${x(bound / floor)} the floor (${fmt(floor)} ns), ${x(vsProm)} prom-client`, bound / floor <= 1.0 && vsProm >= 25);
    const l3 = ns('labels3', 'prom-client') / ns('labels3', 'metricore');
    add('observe(labels, v), 3 labels', '≥ 10x prom-client', `${fmt(ns('labels3', 'metricore'))} ns, ${x(l3)} prom-client`, l3 >= 10);
    const un = ns('unlabelled', 'prom-client') / ns('unlabelled', 'metricore');
    add('unlabelled observe', '≥ 10x prom-client', `${fmt(ns('unlabelled', 'metricore'))} ns, ${x(un)} prom-client`, un >= 10);
    // Counters at the floor (issue #17): both builds, against the Float64Array cell of the same run.
    const cellFloor = ns('inc', 'floor');
    const incs = ['metricore', 'metricore (cjs)'].map((lib) => [lib, ns('inc', lib)]).filter(([, v]) => v !== undefined);
    if (cellFloor !== undefined && incs.length) {
      add('counter inc(), unlabelled (recording)', '≤ 1.5x the Float64Array cell', incs.map(([lib, v]) => `${lib} ${fmt(v)} ns = ${x(v / cellFloor)}`).join('; ') + ` (floor ${fmt(cellFloor)} ns)`, incs.every(([, v]) => v / cellFloor <= 1.5));
    }
  }
  // Scrape, memory and threads (issue #16): lib/report-scale.mjs.
  out.push(...scaleTargets(results));
  const uc = s.usercode?.rows ?? [];
  if (uc.length) {
    const flagged = usercodeFlags(s.usercode).filter((f) => f.library === 'metricore' && f.builds);
    add('CommonJS build against ESM build (user code, every form, alone and mixed)', 'within 20%', flagged.length === 0 ? 'every form within 20%' : flagged.map((f) => `${f.form} (${f.style}) ${f.builds}`).join('; '), flagged.length === 0);
    // Counters at the floor (issue #17), as a user writes them: every build and style against the floor's cell in the same style.
    for (const [form, limit] of [['counter unlabelled', 1.5], ['counter labels()', 1.5], ['counter object labels', 3], ['counter new object labels', 3]]) {
      const cells = uc.filter((r) => r.library === 'metricore' && r.form === form);
      const ratios = cells.map((r) => {
        if (r.xFloor) return { r, ratio: r.xFloor.median };
        const f = uc.find((q) => q.library === 'floor' && q.form === 'counter unlabelled' && q.build === r.build && q.style === r.style)?.nsPerOp.median;
        return { r, ratio: f === undefined ? undefined : r.nsPerOp.median / f };
      }).filter((c) => c.ratio !== undefined);
      if (ratios.length === 0) continue;
      const worst = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
      add(`counter ${form.slice('counter '.length)} (user code)`, `≤ ${limit}x the Float64Array cell`, `worst ${worst.r.build} ${worst.r.style}: ${fmt(worst.r.nsPerOp.median)} ns = ${x(worst.ratio)}; ${ratios.map((c) => `${c.r.build} ${c.r.style} ${x(c.ratio)}`).join(', ')}`, worst.ratio <= limit);
    }
  }
  // Startup heap (issue #17): lib/report-startup.mjs.
  out.push(...startupTargets(s.startup));
  const hr = s.http?.rows ?? [];
  if (hr.length) {
    const plugin = hr.filter((r) => r.metrics === 'metricore');
    if (plugin.length === 0) add('plugin-http on hello-world servers', '≤ 2% fewer req/s', 'not measured: @metricore/plugin-http is not built yet', null);
    for (const r of plugin) {
      const reqs = `${fmt(r.changePercent)}% req/s (${fmt(r.reqPerSec.median, 0)} vs ${fmt(r.baselineReqPerSec, 0)})`;
      // req/s on a shared 2-core VM swings more than 2%; server CPU per request does not, so it decides where measured.
      if (r.cpuUsPerRequest === undefined) add(`plugin-http on ${r.framework}`, '≤ 2% fewer req/s', reqs, r.changePercent >= -2);
      else add(`plugin-http on ${r.framework}`, '≤ 2% of req/s, judged by server CPU µs/request', `${r.cpuOverheadPercent >= 0 ? '+' : ''}${fmt(r.cpuOverheadPercent)}% CPU/request (${fmt(r.cpuUsPerRequest.median, 2)} vs ${fmt(r.baselineCpuUsPerRequest, 2)} µs); ${reqs}`, r.cpuOverheadPercent <= 2);
      // The prom-client integration of the same framework, from the same concurrent runs (issue #17: at most a third of its overhead).
      const prom = hr.find((q) => q.framework === r.framework && !['none', 'metricore', 'metricore-host'].includes(q.metrics));
      if (prom?.cpuOverheadPercent !== undefined && r.cpuOverheadPercent !== undefined) {
        add(`plugin-http vs ${prom.metrics} on ${r.framework}`, `≤ 1/3 of ${prom.metrics}'s CPU overhead`, `${fmt(r.cpuOverheadPercent)}% vs ${fmt(prom.cpuOverheadPercent)}%`, r.cpuOverheadPercent <= Math.max(0, prom.cpuOverheadPercent) / 3);
      }
      const baseP99 = hr.find((b) => b.framework === r.framework && b.metrics === 'none').p99Ms.median;
      const signed = (n) => `${n >= 0 ? '+' : ''}${fmt(n)}%`;
      // Judged by the paired change (each repetition's p99 over the bare server's in the same repetition, median); older results have only medians.
      const p99Change = r.p99Change?.median ?? (r.p99Ms.median / baseP99 - 1) * 100;
      const paired = r.p99Change ? `median of per-repetition changes ${signed(p99Change)} (${signed(r.p99Change.min)} to ${signed(r.p99Change.max)}); ` : '';
      add(`plugin-http p99 on ${r.framework}`, '≤ 5% above no metrics', `${paired}medians ${fmt(r.p99Ms.median, 2)} vs ${fmt(baseP99, 2)} ms${paired ? '' : ` (${signed(p99Change)})`}`, p99Change <= 5);
    }
  } else if (s.http?.skipped) {
    add('plugin-http on hello-world servers', '≤ 2% fewer req/s', `not measured: ${s.http.skipped}`, null);
  }
  return out;
}

function recordingSection(r) {
  const rows = [];
  for (const op of r.operations) {
    const ofOp = r.rows.filter((row) => row.operation === op.key);
    const prom = ofOp.find((row) => row.library === 'prom-client')?.nsPerOp.median;
    const floorRow = r.rows.find((row) => row.operation === (op.kind === 'inc' ? 'inc' : 'bound') && row.library === 'floor');
    for (const row of ofOp) {
      rows.push([OPERATION_TITLES[op.key], row.library === 'metricore' ? '**metricore**' : row.library, fmt(row.nsPerOp.median), range(row.nsPerOp), x(prom / row.nsPerOp.median), x(row.nsPerOp.median / floorRow.nsPerOp.median)]);
    }
  }
  const checks = r.verified.map((v) => `${v.metric}: ${v.actual}/${v.expected} ${v.exact ? 'exact' : 'MISMATCH'}`).join('; ');
  return `## Recording (ns per operation)

${r.iterations} samples per row, each timing ${r.opsPerSample.toLocaleString('en')} operations (so metricore's 1,024-sample native batches are inside the timing), after every loop was warmed in short calls so it is timed as a whole optimised function; values cycle through 65,536 log-uniform values, label sets through ${r.sets} pre-built objects. "x the floor" divides by the plain Float64Array histogram (counter rows: a Float64Array cell increment); the labelled rows are compared with the bound floor, which does no label lookup at all. OpenTelemetry has no bound instruments.

${table(['operation', 'library', 'median ns', 'min–max', 'x faster than prom-client', 'x the floor'], rows)}

Counts checked after the run (proves the loops were not optimised away and nothing buffered was lost): ${checks}.
`;
}

/**
 * usercodeFlags: per (library, form), the build gap in each style and the style gap in each build,
 * where above 20%. Rows are compared by their ratio to the floor timed in the same process and round
 * (results without it: by ns), since processes running the same code differ in raw speed.
 */
export function usercodeFlags(r) {
  const rowOf = (library, form) => (build, style) => r.rows.find((x) => x.library === library && x.form === form && x.build === build && x.style === style);
  const pairs = (library, form, a, b) => {
    const [ra, rb] = [rowOf(library, form)(...a), rowOf(library, form)(...b)];
    if (!ra || !rb) return [undefined, undefined];
    return ra.xFloor && rb.xFloor ? [ra.xFloor.median, rb.xFloor.median] : [ra.nsPerOp.median, rb.nsPerOp.median];
  };
  const gap = (a, b) => (a == null || b == null ? null : Math.max(a, b) / Math.min(a, b) - 1);
  const pct = (g) => `${(g * 100).toFixed(0)}%`;
  const out = [];
  const keys = [...new Set(r.rows.map((x) => `${x.library}|${x.form}`))];
  for (const key of keys) {
    const [library, form] = key.split('|');
    for (const style of ['alone', 'mixed']) {
      const [esm, cjs] = pairs(library, form, ['esm', style], ['cjs', style]);
      const g = gap(esm, cjs);
      if (g !== null && g > 0.2) out.push({ library, form, style, builds: `CJS ${cjs > esm ? 'slower' : 'faster'} by ${pct(g)}` });
    }
    for (const build of ['esm', 'cjs']) {
      const [alone, mixed] = pairs(library, form, [build, 'alone'], [build, 'mixed']);
      const g = gap(alone, mixed);
      if (g !== null && g > 0.2) out.push({ library, form, style: build, styles: `mixed ${mixed > alone ? 'slower' : 'faster'} by ${pct(g)}` });
    }
  }
  return out;
}

function usercodeSection(r) {
  const row = (library, form, build, style) => r.rows.find((x) => x.library === library && x.form === form && x.build === build && x.style === style);
  const ns = (...key) => row(...key)?.nsPerOp;
  const ratioOf = (...key) => row(...key)?.xFloor;
  const flags = usercodeFlags(r);
  const rows = [];
  for (const form of r.forms) {
    const kind = form.split(' ')[0];
    const floor = ns('floor', `${kind} unlabelled`, 'esm', 'alone')?.median;
    for (const library of ['metricore', 'prom-client', 'floor']) {
      if (!r.rows.some((x) => x.library === library && x.form === form)) continue;
      const cells = [];
      for (const style of ['alone', 'mixed']) for (const build of ['esm', 'cjs']) {
        const v = ns(library, form, build, style);
        const ratio = ratioOf(library, form, build, style);
        cells.push(v ? `${fmt(v.median)} (${range(v)})${ratio && library !== 'floor' ? ` = ${x(ratio.median)}` : ''}` : '—');
      }
      const mine = flags.filter((f) => f.library === library && f.form === form).map((f) => `**${f.builds ? `${f.style}: ${f.builds}` : `${f.style}: ${f.styles}`}**`);
      const esm = ratioOf(library, form, 'esm', 'alone')?.median ?? ns(library, form, 'esm', 'alone')?.median / floor;
      rows.push([`\`${form}\``, library === 'metricore' ? '**metricore**' : library, ...cells, x(esm), mine.join('; ') || '—']);
    }
  }
  const checks = r.verified.filter((v) => !v.exact);
  const spread = r.floorSpread && Object.entries(r.floorSpread).map(([k, v]) => `${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)} (${k})`).join(', ');
  return `## User code: ESM and CommonJS builds, every API form (ns per operation)

Plain \`for\` loops as a user writes them, from an ES module that \`import\`s the packages and from a CommonJS script that \`require\`s them (${r.node}). "alone": one process per form and build; "mixed": one process per build that warms every form before timing any${r.repeats > 1 ? `; ${r.repeats} such processes per row, builds alternating, the median of their medians (min–max over all their rounds)` : '; median (min–max) over the rounds'}. Every loop is warmed in short calls first, so it is timed as a whole optimised function; a round times 1,000,000 calls (prom-client's loops 200,000). Each cell is ns per operation and, after "=", its ratio to the floor of the same kind (a Float64Array cell for counters and gauges, the typed-array histogram for histograms) timed in the same process and the same round; "x the floor" is that ratio for ESM alone. Builds and styles are compared by that ratio and flagged where they differ by more than 20%${spread ? `: processes running the same code differ in raw speed (the histogram floor, which never calls metricore, measured ${spread} ns per operation in the children of this run)` : ''}.

${table(['form', 'library', 'ESM alone', 'CJS alone', 'ESM mixed', 'CJS mixed', 'x the floor', 'flags'], rows)}

metricore totals scraped after each child: ${checks.length === 0 ? `all ${r.verified.length} exact` : `**${checks.length} of ${r.verified.length} NOT exact**`}.
`;
}

function httpSection(r) {
  const signed = (n) => `${n >= 0 ? '+' : ''}${fmt(n)}%`;
  const cpu = r.rows.some((row) => row.cpuUsPerRequest !== undefined);
  const rows = r.rows.map((row) => [
    row.framework === 'node' ? 'node:http' : row.framework,
    row.metrics === 'metricore' ? '**metricore plugin-http**' : row.metrics === 'metricore-host' ? 'metricore host + plugin applied, handler not wrapped' : row.metrics,
    ...(cpu ? [fmt(row.cpuUsPerRequest.median, 2), range(row.cpuUsPerRequest, 2), row.metrics === 'none' ? '—' : `${signed(row.cpuOverheadPercent)}${row.cpuOverhead ? ` (${signed(row.cpuOverhead.min)} to ${signed(row.cpuOverhead.max)})` : ''}`] : []),
    fmt(row.reqPerSec.median, 0),
    `${fmt(row.reqPerSec.min, 0)}–${fmt(row.reqPerSec.max, 0)}`,
    row.metrics === 'none' ? '—' : signed(row.changePercent),
    fmt(row.p99Ms.median, 2),
    row.metrics === 'none' || !row.p99Change ? '—' : `${signed(row.p99Change.median)} (${signed(row.p99Change.min)} to ${signed(row.p99Change.max)})`,
  ]);
  const cpuHead = cpu ? ['server CPU µs/request (median)', 'min–max', 'CPU vs no metrics'] : [];
  const cpuText = cpu
    ? ` "server CPU µs/request" comes from separate runs (${r.concurrentRuns ?? 1} of ${r.concurrentSeconds ?? r.wrkSeconds ?? 5} s in each repetition) where one framework\'s variants are loaded at the same time (servers sharing CPU 0, one \`wrk -c16\` each on CPU 1): each server\'s user + system CPU time (\`process.cpuUsage()\`) over the requests it served. All variants then see the same interference from the VM, which a saturated server is billed for and which makes sequential req/s (and CPU time) swing far more than 2%; "CPU vs no metrics" is the median of the per-run ratios over all ${r.reps * (r.concurrentRuns ?? 1)} runs, and the 2% target is judged by it. "p99 vs no metrics, paired" is the median (and range) over repetitions of each sequential run\'s p99 over the bare server\'s p99 in the same repetition; the p99 target is judged by it.`
    : '';
  // Overhead against server age, at most AGE_ROWS lines per framework: consecutive repetitions
  // grouped, each line the age of the group's first side-by-side run and the median of the group's ratios.
  const ageRows = [];
  const AGE_ROWS = 7;
  for (const base of r.rows.filter((row) => row.metrics === 'none' && row.byAge?.length)) {
    const others = r.rows.filter((row) => row.framework === base.framework && row.metrics !== 'none' && row.byAge?.length);
    const reps = [...new Set(base.byAge.map((a, i) => a.rep ?? i))];
    const perGroup = Math.ceil(reps.length / AGE_ROWS);
    for (let g = 0; g < reps.length; g += perGroup) {
      const group = new Set(reps.slice(g, g + perGroup));
      const runs = base.byAge.map((a, i) => (group.has(a.rep ?? i) ? i : -1)).filter((i) => i >= 0);
      const percents = (o) => runs.map((i) => o.byAge[i].percent);
      ageRows.push([base.framework === 'node' ? 'node:http' : base.framework, fmt(base.byAge[runs[0]].ageSeconds, 0), others.map((o) => `${o.metrics === 'metricore' ? 'plugin-http' : o.metrics === 'metricore-host' ? 'host only' : o.metrics} ${signed(summarize(percents(o)).median)}`).join(', ')]);
    }
  }
  const flags = r.nodeFlags ?? [];
  const ageTable = ageRows.length
    ? `
### CPU per request against no metrics, by server age

The side-by-side runs against the server without metrics, in groups of consecutive repetitions (the median of each group's ratios), with the servers' age (seconds since they started) at the first run of the group. Every server ran with ${flags.length ? `\`${flags.join(' ')}\`, so none gets V8's late memory-reducing collection (docs/plugins/http.md)` : "V8's defaults (memory reducer on)"}.

${table(['server', 'age (s)', 'CPU per request vs no metrics'], ageRows)}
`
    : '';
  return `## HTTP servers (wrk, hello world)

\`wrk -t1 -c${r.connections} -d${r.wrkSeconds ?? 5}s --latency\` on 127.0.0.1, ${r.reps} round-robin repetitions, each server in its own process${r.pinned ? ' on CPU 0, wrk on CPU 1' : ''} (plugin-http: ${r.pluginHttp}). On 2 cores wrk and the server share the machine, so absolute req/s are low; compare within a framework.${cpuText}

${table(['server', 'metrics', ...cpuHead, 'req/s (median)', 'min–max', 'req/s vs no metrics', 'p99 ms (median)', 'p99 vs no metrics, paired'], rows)}
${ageTable}`;
}

function processSection(r) {
  const prom = r.rows.find((row) => row.library.startsWith('prom-client'));
  const rows = r.rows.map((row) => [row.library, fmt(row.totalMs.median, 2), range(row.totalMs, 2), fmt(row.blockedMs.median, 2), bytes(row.bytes), x(prom.totalMs.median / row.totalMs.median)]);
  return `## Process metrics scrape

Each library alone in its registry, ${r.reps} scrapes after a warm-up.

${table(['collector', 'total median ms', 'min–max', 'loop blocked ms', 'body bytes', 'x faster than prom-client'], rows)}
`;
}

function cardinalitySection(r) {
  const rows = r.rows.map((row) => [row.subject, fmt(row.nsPerOp.median), range(row.nsPerOp), row.series.toLocaleString('en'), `${row.scrapedCount}/${row.recorded}`, row.exact ? 'yes' : '**no**', fmt(row.scrapeMs, 1)]);
  return `## Cardinality (label policy top-N)

\`observe({ org, route }, v)\` with ${r.distinctOrgs.toLocaleString('en')} distinct orgs drawn Zipf-like (probability ∝ 1/rank) and 4 routes, ${r.opsPerSample.toLocaleString('en')} observations per sample, ${r.reps} samples after a warm-up. "no policy" keeps metricore's default cap of 10,000 series per family (the rest fold into the overflow series).

${table(['subject', 'median ns/op', 'min–max', 'series scraped', 'scraped _count / recorded', 'totals exact', 'scrape ms'], rows)}
${r.distinct ? distinctSection(r.distinct) : ''}${r.bursty ? burstySection(r.bursty) : ''}`;
}

function distinctSection(d) {
  const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const rows = [
    [
      d.distinct.toLocaleString('en'),
      d.seriesPerRoute.join(' / '),
      mib(d.rssGrowthBytes),
      mib(d.heapTotalGrowthBytes),
      mib(d.rssGrowthBytes - d.heapTotalGrowthBytes),
      fmt(d.unseenNs),
      fmt(d.knownNs),
      `${d.scraped}/${d.recorded}`,
    ],
  ];
  return `
### A stream of distinct orgs through \`topN: 20\`

Every org value is new (the label-policy issue's scenario), 4 routes, after 20 busy tenants were admitted; one process of its own, GC before and after. Targets: 21 series per route (20 orgs and \`__other__\`), resident growth ≤ 16 MiB. The JS heap's growth is V8 enlarging its young generation under the benchmark's allocation churn (label objects, strings), not retained state; the rest is native.

${table(['distinct orgs', 'series per route', 'resident growth', 'of which JS heap', 'rest (native, allocator)', 'unseen org ns/op', 'admitted org ns/op', 'scraped _count / recorded'], rows)}
${
  d.rssBeyondBaselineBytes === undefined
    ? ''
    : `
Org values exposed: ${d.exposedValues}, of which ${d.trueTopExposed} of the true top 20 (the tenants). Series over the stream (every 100,000 orgs): ${d.seriesOverTime.map(([, n]) => n).join(', ')}. The same names and label objects allocated without recording grow resident memory by ${mib(d.baselineRssGrowthBytes)}; recording adds ${mib(d.rssBeyondBaselineBytes)} beyond that.
`
}`;
}

function burstySection(b) {
  const mib = (x) => `${(x / 2 ** 20).toFixed(1)} MiB`;
  const rows = b.phases.map((p) => [p.phase, `${p.burstExposed}/5`, p.allExposedAfterMs === null ? 'never' : `${p.allExposedAfterMs} ms`, p.series, p.exposed.join(', ')]);
  const series = b.seriesOverTime.map(([, n]) => n);
  return `
### A shifting bursty stream through \`topN: 5\`

Every 4 s, 5 new orgs send 6,000 builds each within 1.5 s, then go quiet; 1,000 one-off orgs a second throughout; \`{ topN: 5, rerankIntervalMs: 1000, demotedTtl: '5s' }\`, real time, the host's own upkeep. Bound: 5 + 1 + the demotions within 5 s.

${table(['phase', 'its 5 orgs exposed', 'all exposed after', 'series at its end', 'org values exposed at its end'], rows)}

Series every 250 ms: ${series.join(', ')} (max ${Math.max(...series)}). ${b.oneOffs.toLocaleString('en')} one-off orgs. Resident growth ${mib(b.rssGrowthBytes)}; the same label objects allocated without recording: ${mib(b.baselineRssGrowthBytes)}; recording beyond that: ${mib(b.rssBeyondBaselineBytes)} (one run each, noisy on a loaded machine). Scraped \`_count\` ${b.scraped.toLocaleString('en')} of ${b.recorded.toLocaleString('en')} recorded: demoted series that left the exposition took their counts with them (\`rate()\` over the family stays exact).
`;
}

function genericSection(title, r) {
  if (r.skipped) return `## ${title}\n\nNot measured: ${r.skipped}\n`;
  if (r.markdown) return `## ${title}\n\n${r.markdown}\n`;
  return `## ${title}\n\n\`\`\`json\n${JSON.stringify(r.rows ?? r, null, 2)}\n\`\`\`\n`;
}

const TITLES = { cardinality: 'Cardinality (label policy top-N)', http: 'HTTP servers (wrk)', process: 'Process metrics scrape' };

/** renderMarkdown: the whole report: System line, targets, then one section per scenario. */
export function renderMarkdown(results, { chartPath } = {}) {
  const targets = evaluateTargets(results);
  const verdict = (m) => (m === null ? 'not measured' : m ? 'met' : '**missed**');
  const parts = [
    `# metricore benchmarks${results.quick ? ' (quick mode: tiny sizes, numbers not meaningful)' : ''}`,
    '',
    `Run ${results.date} with \`npm run bench${results.quick ? ' -- --quick' : ''}\`.`,
    '',
    systemLine(results.system),
    '',
    chartPath ? `![chart](${chartPath})\n` : '',
    '## Targets (DESIGN.md)',
    '',
    table(['figure', 'target', 'measured (medians)', 'target met'], targets.map((t) => [t.figure, t.target, t.measured, verdict(t.met)])),
    '',
  ];
  const s = results.scenarios;
  for (const [name, r] of Object.entries(s)) {
    if (r.error) parts.push(`## ${name}\n\n**Crashed:** ${r.error}\n`);
    else if (r.skipped) parts.push(genericSection(TITLES[name] ?? name, r));
    else if (name === 'recording') parts.push(recordingSection(r));
    else if (name === 'scrape') parts.push(scrapeSection(r));
    else if (name === 'memory') parts.push(memorySection(r));
    else if (name === 'threads') parts.push(threadsSection(r));
    else if (name === 'http') parts.push(httpSection(r));
    else if (name === 'process') parts.push(processSection(r));
    else if (name === 'cardinality') parts.push(cardinalitySection(r));
    else if (name === 'usercode') parts.push(usercodeSection(r));
    else if (name === 'startup') parts.push(startupSection(r));
    else parts.push(genericSection(TITLES[name] ?? name, r));
  }
  return parts.join('\n');
}
