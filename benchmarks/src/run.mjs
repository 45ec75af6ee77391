/**
 * run: `npm run bench [-- --quick] [-- --only recording,scrape]` runs every scenario file
 * (`src/<scenario>.bench.mjs`), each in its own Node process, then writes the report to
 * `results/` (quick runs to `results/quick/`, which is not committed): `latest.json`,
 * `latest.md`, `latest.svg`. A full run also regenerates `docs/benchmarks.md`.
 * `--report` only regenerates the report from `latest.json`.
 * `--only a,b` reruns those scenarios and keeps the others' results from the latest run.
 * Exits 1 only if a scenario crashed; a scenario that cannot run here reports why and passes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './lib/chart.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { systemInfo, systemLine } from './lib/system.mjs';
import { writeDocs } from './docs.mjs';

const src = dirname(fileURLToPath(import.meta.url));
const ORDER = ['recording', 'usercode', 'startup', 'scrape', 'memory', 'threads', 'cardinality', 'http', 'process'];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? argv[onlyIndex + 1].split(',') : undefined;

const found = readdirSync(src)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.slice(0, -'.bench.mjs'.length))
  .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
// --report rewrites latest.{md,svg} and the docs from latest.json without running anything.
const reportOnly = argv.includes('--report');
const scenarios = reportOnly ? [] : only ? found.filter((s) => only.includes(s)) : found;

const system = systemInfo();
process.stderr.write(`${systemLine(system)}\n`);
const tmp = mkdtempSync(join(tmpdir(), 'metricore-bench-'));
const results = { date: new Date().toISOString(), quick, system, scenarios: {} };
const dir = join(src, '..', 'results', ...(quick ? ['quick'] : []));
// --only reruns some scenarios and keeps the others from the latest run (each scenario records its own date).
if (reportOnly) Object.assign(results, JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')));
else if (only && existsSync(join(dir, 'latest.json'))) Object.assign(results.scenarios, JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).scenarios);
let crashed = 0;
for (const name of scenarios) {
  process.stderr.write(`\n== ${name}${quick ? ' (quick)' : ''}\n`);
  const out = join(tmp, `${name}.json`);
  const run = spawnSync(process.execPath, ['--expose-gc', join(src, `${name}.bench.mjs`), ...(quick ? ['--quick'] : []), '--out', out], {
    stdio: ['ignore', 'inherit', 'inherit'],
    // Quick memory children idle 12 s each to measure at rest (memory-child.mjs): about 100 s in all.
    timeout: (quick ? 300 : 1800) * 1000,
  });
  if (run.status === 0) {
    results.scenarios[name] = { ...JSON.parse(readFileSync(out, 'utf8')), date: new Date().toISOString(), loadAverage: loadavg() };
  } else {
    crashed++;
    const why = run.error ? run.error.message : `exit code ${run.status}${run.signal ? `, signal ${run.signal}` : ''}`;
    results.scenarios[name] = { error: why };
    process.stderr.write(`!! scenario ${name} crashed: ${why}\n`);
  }
}
rmSync(tmp, { recursive: true, force: true });

mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, 'latest.svg'), await renderChart(results));
writeFileSync(join(dir, 'latest.md'), renderMarkdown(results, { chartPath: 'latest.svg' }));
process.stderr.write(`\nwrote ${join(dir, 'latest.{json,md,svg}')}\n`);
if (!quick) writeDocs();
process.exit(crashed === 0 ? 0 : 1);
