/**
 * usercode-forms: the plain loops a user writes, one per API form, run by usercode-esm.mjs (which
 * imports the packages) and usercode-cjs.cjs (which requires them), so both builds meet the same code.
 *
 * Each form is a plain `for` loop over the call as a user would write it (no `new Function`, no
 * wrapper between the loop and the call). `--form <name>` warms and times that one form alone in
 * the process; `--mixed` first warms every form (metricore, prom-client and the floor), so shared
 * call sites inside the library see every shape before anything is timed, then times each.
 * The child prints one JSON line: ns per operation (median and range over rounds), the ratio to
 * the floor of the same kind timed in the same round (median and range over rounds), and, for
 * metricore, the scraped totals against the operations run.
 */
'use strict';

const LABELS = { route: '/builds/:id', status: '200' };
/** The same label values read from arrays, for the form that builds a new label object per call. */
const ROUTES = [LABELS.route, LABELS.route];
const STATUSES = [LABELS.status, LABELS.status];
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const MASK = 4095;
/** Short warm-up calls per loop before the long ones (see run). */
const WARM_CALLS = 2000;
const WARM_OPS = 64;

/** values: 4,096 log-uniform values between 1 ms and 10 s, the same in every child. */
function makeValues() {
  const values = new Float64Array(MASK + 1);
  let seed = 42;
  for (let i = 0; i <= MASK; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    values[i] = 10 ** (-3 + (4 * seed) / 0x7fffffff);
  }
  return values;
}

/** setup: the instruments of one library, defined as its README shows. */
function setupMetricore(framework) {
  const host = new framework.MetricsHost({ registry: `usercode-${process.pid}` });
  const c = host.counter({ name: 'uc_counter_unlabelled_total', help: 'h' });
  const cl = host.counter({ name: 'uc_counter_labelled_total', help: 'h', labelNames: ['route', 'status'] });
  const g = host.gauge({ name: 'uc_gauge_unlabelled', help: 'h' });
  const gl = host.gauge({ name: 'uc_gauge_labelled', help: 'h', labelNames: ['route', 'status'] });
  const h = host.histogram({ name: 'uc_unlabelled_seconds', help: 'h', buckets: BUCKETS });
  const hl = host.histogram({ name: 'uc_labelled_seconds', help: 'h', labelNames: ['route', 'status'], buckets: BUCKETS });
  return { host, c, cl, cb: cl.labels(LABELS), g, gl, gb: gl.labels(LABELS), h, hl, hb: hl.labels(LABELS) };
}

function setupPromClient(client) {
  const registers = [new client.Registry()];
  const c = new client.Counter({ name: 'uc_counter_unlabelled_total', help: 'h', registers });
  const cl = new client.Counter({ name: 'uc_counter_labelled_total', help: 'h', labelNames: ['route', 'status'], registers });
  const g = new client.Gauge({ name: 'uc_gauge_unlabelled', help: 'h', registers });
  const gl = new client.Gauge({ name: 'uc_gauge_labelled', help: 'h', labelNames: ['route', 'status'], registers });
  const h = new client.Histogram({ name: 'uc_unlabelled_seconds', help: 'h', buckets: BUCKETS, registers });
  const hl = new client.Histogram({ name: 'uc_labelled_seconds', help: 'h', labelNames: ['route', 'status'], buckets: BUCKETS, registers });
  return { c, cl, cb: cl.labels(LABELS), g, gl, gb: gl.labels(LABELS), h, hl, hb: hl.labels(LABELS) };
}

function setupFloor() {
  const cells = new Float64Array(2);
  const bounds = Float64Array.from(BUCKETS);
  const counts = new Float64Array(BUCKETS.length + 1);
  const hist = { sum: 0, count: 0 };
  return { cells, bounds, counts, hist };
}

/**
 * makeForms: one plain loop per (library, form). Metric names are library-neutral; `m` holds the
 * instruments. Each returns nothing; the loops use `values` so no call is constant-folded.
 */
function makeForms(lib, m, values) {
  if (lib === 'floor') {
    const { cells, bounds, counts, hist } = m;
    const observe = (v) => {
      let i = 0;
      while (i < bounds.length && v > bounds[i]) i++;
      counts[i]++;
      hist.sum += v;
      hist.count++;
    };
    return {
      'counter unlabelled': (n) => { for (let i = 0; i < n; i++) cells[0]++; },
      'gauge unlabelled': (n) => { for (let i = 0; i < n; i++) cells[1] = values[i & MASK]; },
      'histogram unlabelled': (n) => { for (let i = 0; i < n; i++) observe(values[i & MASK]); },
    };
  }
  // One copy of the loops per library: closures made at one source position share V8's feedback
  // (and optimised code), so a loop shared with prom-client saw two Counter classes at `m.c.inc()`
  // and went polymorphic: metricore's counter unlabelled measured 8.8 ns there against 3.3 ns with
  // the loop to itself (the floor: 3.3 ns; loaded 2-core machine, issue #17).
  return lib === 'metricore' ? metricoreForms(m, values) : promClientForms(m, values);
}

/** metricoreForms: the loops over metricore's instruments (their own call sites, see makeForms). */
function metricoreForms(m, values) {
  return {
    'counter unlabelled': (n) => { for (let i = 0; i < n; i++) m.c.inc(); },
    'counter labels()': (n) => { for (let i = 0; i < n; i++) m.cb.inc(); },
    'counter object labels': (n) => { for (let i = 0; i < n; i++) m.cl.inc(LABELS); },
    // What a handler writes: a new object per call, its values not known to the compiler.
    'counter new object labels': (n) => { for (let i = 0; i < n; i++) m.cl.inc({ route: ROUTES[i & 1], status: STATUSES[i & 1] }); },
    'gauge unlabelled': (n) => { for (let i = 0; i < n; i++) m.g.set(values[i & MASK]); },
    'gauge labels()': (n) => { for (let i = 0; i < n; i++) m.gb.set(values[i & MASK]); },
    'gauge object labels': (n) => { for (let i = 0; i < n; i++) m.gl.set(LABELS, values[i & MASK]); },
    'histogram unlabelled': (n) => { for (let i = 0; i < n; i++) m.h.observe(values[i & MASK]); },
    'histogram labels()': (n) => { for (let i = 0; i < n; i++) m.hb.observe(values[i & MASK]); },
    'histogram object labels': (n) => { for (let i = 0; i < n; i++) m.hl.observe(LABELS, values[i & MASK]); },
  };
}

/** promClientForms: the same loops over prom-client's instruments, at call sites of their own. */
function promClientForms(m, values) {
  return {
    'counter unlabelled': (n) => { for (let i = 0; i < n; i++) m.c.inc(); },
    'counter labels()': (n) => { for (let i = 0; i < n; i++) m.cb.inc(); },
    'counter object labels': (n) => { for (let i = 0; i < n; i++) m.cl.inc(LABELS); },
    // What a handler writes: a new object per call, its values not known to the compiler.
    'counter new object labels': (n) => { for (let i = 0; i < n; i++) m.cl.inc({ route: ROUTES[i & 1], status: STATUSES[i & 1] }); },
    'gauge unlabelled': (n) => { for (let i = 0; i < n; i++) m.g.set(values[i & MASK]); },
    'gauge labels()': (n) => { for (let i = 0; i < n; i++) m.gb.set(values[i & MASK]); },
    'gauge object labels': (n) => { for (let i = 0; i < n; i++) m.gl.set(LABELS, values[i & MASK]); },
    'histogram unlabelled': (n) => { for (let i = 0; i < n; i++) m.h.observe(values[i & MASK]); },
    'histogram labels()': (n) => { for (let i = 0; i < n; i++) m.hb.observe(values[i & MASK]); },
    'histogram object labels': (n) => { for (let i = 0; i < n; i++) m.hl.observe(LABELS, values[i & MASK]); },
  };
}

/** FORMS: every form's name, in table order. */
const FORMS = Object.keys(makeForms('metricore', {}, null));

function time(fn, ops) {
  const t0 = process.hrtime.bigint();
  fn(ops);
  return Number(process.hrtime.bigint() - t0) / ops;
}

function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/** counted: how many operations metricore's counters and histograms must show, per form. */
function expectedTotals(runs) {
  const out = {};
  for (const [form, n] of Object.entries(runs)) if (!form.startsWith('gauge')) out[form] = n;
  return out;
}

/** scrapeTotals: what the host's own render says for each counted form. */
async function scrapeTotals(host) {
  const text = await host.metrics();
  const value = (name, labelled) => {
    const line = text.split('\n').find((l) => l.startsWith(labelled ? `${name}{` : `${name} `) && (!labelled || l.includes('route="/builds/:id"')));
    return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const labelledTotal = value('uc_counter_labelled_total', true);
  return {
    'counter unlabelled': value('uc_counter_unlabelled_total', false),
    // labels() and both object forms record into the same series: their sum is checked.
    'counter labels()+object labels': labelledTotal,
    'histogram unlabelled': value('uc_unlabelled_seconds_count', false),
    'histogram labels()+object labels': value('uc_labelled_seconds_count', true),
  };
}

/**
 * run: the child's main. `build` names which build of the packages was loaded ("esm" or "cjs"),
 * `framework` and `client` are the loaded modules.
 */
async function run({ build, framework, client, argv }) {
  const quick = argv.includes('--quick');
  const mixed = argv.includes('--mixed');
  const formIndex = argv.indexOf('--form');
  const only = formIndex >= 0 ? argv[formIndex + 1] : undefined;
  const ops = quick ? 40_000 : 1_000_000;
  // prom-client's calls take 15-800 ns where metricore's and the floor's take 3-30 (user-code rows
  // of 2026-12-03): a fifth of the calls still makes each of its rounds 3-160 ms, and it let a run
  // afford 7 children per row instead of 3 (usercode.bench.mjs REPEATS) in about the same time.
  // Its sub-nanosecond unlabelled counter (a loop V8 reduces) is timed over 0.2 ms rounds.
  const opsOf = (lib) => (lib === 'prom-client' ? ops / 5 : ops);
  const rounds = quick ? 3 : 11;
  const values = makeValues();

  const setups = { metricore: setupMetricore(framework), 'prom-client': setupPromClient(client), floor: setupFloor() };
  const loops = {};
  for (const [lib, m] of Object.entries(setups)) loops[lib] = makeForms(lib, m, values);
  // Alone, the floor of the form's kind runs beside it: every row has its own process's floor.
  const floorOfOnly = only === undefined ? undefined : `${only.split(' ')[0]} unlabelled`;
  const wanted = (form, lib) => mixed || form === only || (lib === 'floor' && form === floorOfOnly);
  const runs = {};
  const count = (lib, form, n) => {
    if (lib === 'metricore') runs[form] = (runs[form] ?? 0) + n;
  };
  // Warm-up: every selected loop, first in WARM_CALLS short calls so V8 optimises it as a whole
  // function (as it does a user's handler) rather than timing code it compiled on-stack in the middle
  // of one long call (see recording.bench.mjs), then in long calls.
  for (let w = 0; w < WARM_CALLS + 3; w++) {
    for (const [lib, forms] of Object.entries(loops)) {
      const n = w < WARM_CALLS ? WARM_OPS : opsOf(lib) / 4;
      for (const [form, fn] of Object.entries(forms)) {
        if (!wanted(form, lib)) continue;
        fn(n);
        count(lib, form, n);
      }
    }
  }
  const samples = {};
  for (let r = 0; r < rounds; r++) {
    for (const [lib, forms] of Object.entries(loops)) {
      for (const [form, fn] of Object.entries(forms)) {
        if (!wanted(form, lib)) continue;
        (samples[`${lib}|${form}`] ??= []).push(time(fn, opsOf(lib)));
        count(lib, form, opsOf(lib));
      }
    }
  }
  const rows = Object.entries(samples).map(([key, s]) => {
    const [library, form] = key.split('|');
    // The floor of the same kind, timed in the same process and round: this process's own speed.
    const floor = samples[`floor|${form.split(' ')[0]} unlabelled`];
    const xFloor = floor === undefined ? undefined : summarize(s.map((ns, round) => ns / floor[round]));
    return { build, style: mixed ? 'mixed' : 'alone', library, form, nsPerOp: summarize(s), xFloor };
  });
  // Exactness: what metricore recorded, scraped from the host after a flush.
  const host = setups.metricore.host;
  framework.flushRecorded();
  const scraped = await scrapeTotals(host);
  const exp = expectedTotals(runs);
  const sumOf = (a, b) => (exp[a] ?? 0) + (exp[b] ?? 0);
  const expected = {
    'counter unlabelled': exp['counter unlabelled'] ?? 0,
    'counter labels()+object labels': sumOf('counter labels()', 'counter object labels') + (exp['counter new object labels'] ?? 0),
    'histogram unlabelled': exp['histogram unlabelled'] ?? 0,
    'histogram labels()+object labels': sumOf('histogram labels()', 'histogram object labels'),
  };
  const verified = Object.keys(expected)
    .filter((k) => expected[k] > 0)
    .map((k) => ({ build, form: k, expected: expected[k], actual: scraped[k], exact: expected[k] === scraped[k] }));
  await host.close();
  process.stdout.write(`${JSON.stringify({ rows, verified })}\n`);
}

module.exports = { run, FORMS };
