/**
 * startup: the JS heap a process keeps for loading metricore, beside prom-client with one
 * histogram (issue #17's target: importing the framework and plugin-http and creating a host
 * retains no more than that). Every case runs in a fresh process (lib/startup-child.mjs) that
 * measures V8's used heap after full collections before and after loading; cases alternate
 * round by round so load on the machine hits all of them alike. Median and range over rounds.
 * The last four cases are single packages alone (the native core, and the whole tapable and zod
 * packages the framework takes only parts of), for the report's per-package table.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'lib', 'startup-child.mjs');
export const CASES = [
  'bare',
  'framework',
  'framework (require)',
  'plugin-http',
  'plugin-process',
  'framework + plugin-http + host',
  'framework + plugin-http + host (require)',
  'framework + plugin-http + plugin-process + host',
  'prom-client',
  'prom-client + one histogram',
  'framework + plugin-http + host (in a node:http server)',
  'prom-client + one histogram (in a node:http server)',
  'core-native',
  'tapable',
  'zod',
  'zod/mini',
];

function measure(name) {
  const run = spawnSync(process.execPath, ['--expose-gc', CHILD, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 60_000 });
  if (run.status !== 0) throw new Error(`startup child "${name}" failed: ${run.error?.message ?? `exit code ${run.status}`}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()).retainedBytes;
}

async function startup({ quick }) {
  const rounds = quick ? 2 : 7;
  const samples = Object.fromEntries(CASES.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) for (const c of CASES) samples[c].push(measure(c));
  const rows = CASES.map((c) => ({ case: c, retainedBytes: summarize(samples[c]) }));
  for (const row of rows) log(`  ${row.case}: ${(row.retainedBytes.median / 2 ** 20).toFixed(2)} MiB`);
  return { rows, rounds, node: process.version };
}

runScenario('startup', startup);
