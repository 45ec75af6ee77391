/**
 * recording: the cost of one observation (or increment) on the hot path, per library.
 *
 * Every sample times ≥ 131,072 operations in one call and divides, so metricore's per-1,024
 * native batch applies are inside the timing, not beside it. Each library's loop is compiled
 * from its own source text (new Function), so no loop is shared across libraries and no call
 * site goes polymorphic. Values cycle through 65,536 log-uniform values; label sets cycle through
 * 16 pre-built objects. Afterwards metricore's and the floor's counts are checked against the
 * number of operations run, which also proves the work was not optimised away.
 */
import { Bench } from 'tinybench';
import { scrapeHost } from '@metricore/framework/testing';
import { BUCKETS, VALUE_MASK, labelNames, labelTuples, logUniformValues, toObject } from './lib/inputs.mjs';
import { FloorCounter, FloorHistogram } from './lib/floor.mjs';
import { CJS_PEER, PEER_NAMES, createPeer } from './lib/peers.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const SETS = 16;
/**
 * WARM_CALLS short calls (WARM_OPS operations each) of every loop before timing, so V8 optimises
 * each loop as a whole function, as it does a user's handler. Without them a sample was one call
 * whose loop ran in on-stack-replacement code compiled mid-call, and every sample ended in a
 * deopt after the loop (--trace-deopt: 6,000-43,000 "insufficient type feedback" deopts per run,
 * against ~40 with the warm-up): metricore's counter `inc()` measured 1.0-1.9x the floor from one
 * run to the next (ESM 6.0 and CJS 5.8 ns against 3.5 in the worst), and 1.03-1.14x in three full
 * runs with the warm-up (load average 4-10 with other work running).
 */
const WARM_CALLS = 2000;
const WARM_OPS = 64;

let compiled = 0;

/**
 * compileLoop: a fresh function per (operation, library) that runs `statement` `ops` times. Each
 * source gets a number of its own: V8 caches `new Function` by source text, feedback included, so
 * the libraries' loops of one operation shared their call sites and the later ones timed a
 * polymorphic `c.inc()` (metricore's CommonJS build 9.5 ns against its ESM build's 3.5 ns, run first).
 */
function compileLoop(statement, env, ops, counter, loops) {
  const names = Object.keys(env);
  const usesLabels = statement.includes('labels');
  const src = `// loop ${++compiled}
let offset = 0;
return function run(n = OPS) {
  const off = offset;
  offset = (offset + 7919) & MASK;
  // Before the loop, so nothing after it can lack type feedback and deopt at the end of a sample.
  counter.ops += n;
  for (let i = 0; i < n; i++) {
    const v = values[(i + off) & MASK];
    ${usesLabels ? 'const labels = sets[i & SET_MASK];' : ''}
    ${statement};
  }
};`;
  // eslint-disable-next-line no-new-func
  const run = new Function(...names, 'MASK', 'OPS', 'SET_MASK', 'counter', src)(...names.map((n) => env[n]), VALUE_MASK, ops, SETS - 1, counter);
  loops.push(run);
  return run;
}

export const OPERATIONS = [
  { key: 'bound', title: 'bound observe (child.observe(v), 3 labels)', width: 3, kind: 'bound' },
  { key: 'labels1', title: 'observe(labels, v), 1 label', width: 1, kind: 'labelled' },
  { key: 'labels3', title: 'observe(labels, v), 3 labels', width: 3, kind: 'labelled' },
  { key: 'labels6', title: 'observe(labels, v), 6 labels', width: 6, kind: 'labelled' },
  { key: 'unlabelled', title: 'unlabelled observe(v)', width: 0, kind: 'unlabelled' },
  { key: 'inc', title: 'counter inc()', width: 0, kind: 'inc' },
];

async function recording({ quick }) {
  const ops = quick ? 16_384 : 131_072;
  const iterations = quick ? 5 : 10;
  const values = logUniformValues();
  const bench = new Bench({ iterations, time: 0, warmup: true, warmupIterations: quick ? 2 : 5, warmupTime: 0, retainSamples: true });
  const checks = [];
  const loops = [];

  const peers = [];
  // metricore's CommonJS build (require) is timed beside the ESM build (import): issue #17.
  for (const name of [PEER_NAMES[0], CJS_PEER, ...PEER_NAMES.slice(1)]) peers.push(await createPeer(name, 'bench-recording'));

  for (const op of OPERATIONS) {
    const names = labelNames(op.width);
    const sets = labelTuples(SETS, op.width).map((t) => toObject(names, t));
    for (const peer of peers) {
      const statement = peer.statements[op.kind];
      if (!statement) continue;
      const metric = `bench_${op.key}_${op.kind === 'inc' ? 'total' : 'seconds'}`;
      const env = { values, sets };
      if (op.kind === 'inc') env.c = peer.counter(metric);
      else env.h = peer.histogram(metric, peer.name === 'opentelemetry' ? [] : names);
      if (op.kind === 'bound') env.child = peer.bind(env.h, labelTuples(1, op.width)[0]);
      const counter = { ops: 0 };
      bench.add(`${op.key}|${peer.name}`, compileLoop(statement, env, ops, counter, loops));
      if (peer.host && (op.kind === 'bound' || op.kind === 'unlabelled')) {
        checks.push({ peer, metric, labels: op.kind === 'bound' ? toObject(names, labelTuples(1, op.width)[0]) : {}, counter });
      }
    }
    if (op.kind === 'inc') {
      const c = new FloorCounter();
      bench.add(`${op.key}|floor`, compileLoop('c.inc()', { values, c }, ops, { ops: 0 }, loops));
    } else if (op.kind === 'bound' || op.kind === 'unlabelled') {
      const h = new FloorHistogram(BUCKETS);
      const counter = { ops: 0 };
      bench.add(`${op.key}|floor`, compileLoop('h.observe(v)', { values, h }, ops, counter, loops));
      checks.push({ floor: h, counter, metric: `floor ${op.key}` });
    }
  }

  // Every loop is compiled as a whole function before timing (see WARM_CALLS).
  for (const run of loops) for (let k = 0; k < WARM_CALLS; k++) run(WARM_OPS);
  log(`recording: ${bench.tasks.length} tasks x ${iterations} samples of ${ops} operations`);
  bench.addEventListener('cycle', (e) => log(`  ${e.task.name}: ${((e.task.result.latency.mean * 1e6) / ops).toFixed(1)} ns/op`));
  await bench.run();

  const rows = [];
  for (const task of bench.tasks) {
    const [key, library] = task.name.split('|');
    const samples = task.result.latency.samples.map((ms) => (ms * 1e6) / ops);
    rows.push({ operation: key, library, nsPerOp: summarize(samples), opsPerSample: ops });
  }

  // Exactness: every operation run must be in the scrape (and in the floor's count).
  const verified = [];
  for (const check of checks) {
    const expected = check.counter.ops;
    let actual;
    if (check.floor) actual = check.floor.count;
    else {
      const scrape = await scrapeHost(check.peer.host);
      actual = scrape.histogram(check.metric, check.labels).count;
    }
    verified.push({ metric: check.metric, expected, actual, exact: expected === actual });
    if (expected !== actual) log(`  MISMATCH ${check.metric}: expected ${expected}, scraped ${actual}`);
  }
  return { operations: OPERATIONS, rows, verified, iterations, opsPerSample: ops, sets: SETS };
}

runScenario('recording', recording);
