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
 * scraped totals against the operations it ran. The report flags rows where the builds, or the
 * styles, differ by more than 20%.
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

async function usercode({ quick }) {
  const flags = quick ? ['--quick'] : [];
  const rows = [];
  const verified = [];
  // Builds alternate inside each form (A-B), so a burst of load on the shared machine hits both.
  for (const form of FORMS) {
    for (const build of ['esm', 'cjs']) {
      const out = child(build, [...flags, '--form', form]);
      rows.push(...out.rows);
      verified.push(...out.verified);
      const m = out.rows.find((r) => r.library === 'metricore');
      log(`  ${build} ${form}: metricore ${m.nsPerOp.median.toFixed(1)} ns/op`);
    }
  }
  for (const build of ['esm', 'cjs']) {
    const out = child(build, [...flags, '--mixed']);
    rows.push(...out.rows);
    verified.push(...out.verified);
    log(`  ${build} mixed: done`);
  }
  for (const v of verified) if (!v.exact) log(`  MISMATCH ${v.build} ${v.form}: expected ${v.expected}, scraped ${v.actual}`);
  return { forms: FORMS, rows, verified, node: process.version };
}

runScenario('usercode', usercode);
