/**
 * usercode: the recording cost a user's own code meets, from an ES module (`import ... from
 * '@metricore/framework'`, the ESM build) and from a CommonJS script (`require(...)`, the CJS
 * build), for every API form: unlabelled, `labels()` children and object labels, on counters,
 * gauges and histograms, beside prom-client and the Float64Array floor timed the same way.
 *
 * Style "alone": one child process per (build, form), so only that form's shapes reach the
 * library's shared call sites. Style "mixed": one child per build warms every form before timing
 * any, as a real service that uses them all does. Each child (lib/usercode-esm.mjs,
 * lib/usercode-cjs.cjs) runs the same plain loops (lib/usercode-forms.cjs) and checks metricore's
 * scraped totals against the operations it ran. A full run starts REPEATS children per row. The
 * report flags rows where the builds, or the styles, differ by more than 20% in their ratio to the
 * floor timed in the same process and round: the raw speed of a process differs between processes
 * running the same code (see the report's user-code text).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, runScenario } from './lib/scenario.mjs';

const lib = join(dirname(fileURLToPath(import.meta.url)), 'lib');
const { FORMS } = createRequire(import.meta.url)('./lib/usercode-forms.cjs');
const CHILDREN = { esm: join(lib, 'usercode-esm.mjs'), cjs: join(lib, 'usercode-cjs.cjs') };

/** child: runs one child process and returns its JSON line. */
function child(build, args) {
  const run = spawnSync(process.execPath, [CHILDREN[build], ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  if (run.status !== 0) throw new Error(`usercode child ${build} ${args.join(' ')} failed: ${run.error?.message ?? `exit code ${run.status}`}`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

/**
 * REPEATS: children per (build, form) in a full run. One child per row let one process's luck
 * decide a flag: prom-client, the same code under both builds, differed by 22-82% between the ESM
 * and the CommonJS child in single-child runs, as much as metricore did. Three were not enough
 * either: the same loop runs at one of a few speeds per process (counter object labels: 6.8, 10.4
 * or 12.7 ns with identical compiled code, the floor at 3.3-3.5 ns; issue #17), so a median of
 * three landed in different modes for the two builds, and three rows were flagged where 8
 * alternating pairs measured the builds within 1% (4.46x against 4.48x the floor). Rows take the
 * median of the children's medians; builds alternate order from one repeat to the next.
 */
const REPEATS = 7;

/** combine: several children's summaries as one: the median of their medians, the widest range. */
function combine(summaries) {
  const medians = summaries.map((m) => m.median).sort((a, b) => a - b);
  const mid = medians.length >> 1;
  const median = medians.length % 2 ? medians[mid] : (medians[mid - 1] + medians[mid]) / 2;
  const min = Math.min(...summaries.map((m) => m.min));
  const max = Math.max(...summaries.map((m) => m.max));
  return { median, min, max, n: summaries.reduce((n, m) => n + m.n, 0) };
}

/** merge: one row per (build, style, library, form): the median of the children's medians, the widest range (ns and ratio to the floor). */
function merge(rows) {
  const groups = new Map();
  for (const row of rows) {
    const key = `${row.build}|${row.style}|${row.library}|${row.form}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(row);
  }
  return [...groups.values()].map((group) => {
    const xFloor = group.every((r) => r.xFloor) ? combine(group.map((r) => r.xFloor)) : undefined;
    return { ...group[0], nsPerOp: combine(group.map((r) => r.nsPerOp)), xFloor, children: group.length };
  });
}

async function usercode({ quick }) {
  const flags = quick ? ['--quick'] : [];
  const repeats = quick ? 1 : REPEATS;
  const rows = [];
  const verified = [];
  for (let rep = 0; rep < repeats; rep++) {
    const builds = rep % 2 === 0 ? ['esm', 'cjs'] : ['cjs', 'esm'];
    // Builds alternate inside each form (A-B), so a burst of load on the shared machine hits both.
    for (const form of FORMS) {
      for (const build of builds) {
        const out = child(build, [...flags, '--form', form]);
        rows.push(...out.rows);
        verified.push(...out.verified);
        const m = out.rows.find((r) => r.library === 'metricore');
        log(`  ${build} ${form}: metricore ${m.nsPerOp.median.toFixed(1)} ns/op`);
      }
    }
    for (const build of builds) {
      const out = child(build, [...flags, '--mixed']);
      rows.push(...out.rows);
      verified.push(...out.verified);
      log(`  ${build} mixed: done`);
    }
  }
  for (const v of verified) if (!v.exact) log(`  MISMATCH ${v.build} ${v.form}: expected ${v.expected}, scraped ${v.actual}`);
  // Each child's own histogram floor (plain typed-array code that never calls metricore), per build
  // and style: how far the raw speed of processes running the same code spreads in this run.
  const floorSpread = {};
  for (const r of rows) {
    if (r.library === 'floor' && r.form === 'histogram unlabelled') (floorSpread[`${r.build} ${r.style}`] ??= []).push(r.nsPerOp.median);
  }
  return { forms: FORMS, rows: merge(rows), verified, repeats, floorSpread, node: process.version };
}

runScenario('usercode', usercode);
