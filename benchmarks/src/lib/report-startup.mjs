/**
 * report-startup: the report's section and target verdict for the startup scenario (issue #17):
 * the JS heap each package's import retains, beside prom-client with one histogram.
 */

const mib = (b) => (b == null ? '—' : (b / 2 ** 20).toFixed(2));

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** startupTargets: the startup-heap verdicts, for the ESM and the CommonJS build (same shape as report.mjs's targets). */
export function startupTargets(r) {
  const rows = r?.rows ?? [];
  if (rows.length === 0) return [];
  const median = (c) => rows.find((row) => row.case === c)?.retainedBytes.median;
  // In a node:http server both sides find node:http loaded already (prom-client loads it at import).
  const IN_SERVER = ' (in a node:http server)';
  return [
    ['framework + plugin-http + host', 'import', 'prom-client + one histogram'],
    ['framework + plugin-http + host (require)', 'require', 'prom-client + one histogram'],
    [`framework + plugin-http + host${IN_SERVER}`, 'import, in a node:http server', `prom-client + one histogram${IN_SERVER}`],
  ]
    .filter(([c, , base]) => median(c) !== undefined && median(base) !== undefined)
    .map(([c, build, base]) => ({
      figure: `startup heap: framework + plugin-http + a host (${build})`,
      target: '≤ prom-client with one histogram',
      measured: `${mib(median(c))} MiB vs ${mib(median(base))} MiB (median retained heap)`,
      met: median(c) <= median(base),
    }));
}

/**
 * PACKAGES: each package's import, as the difference of two cases of the same run (a plugin's
 * share is what it adds to the framework it needs), or one case alone.
 */
const PACKAGES = [
  ['@metricore/framework', 'framework', null, 'import, with the native core it loads'],
  ['@metricore/framework (require)', 'framework (require)', null, 'CommonJS build'],
  ['@metricore/plugin-http', 'plugin-http', 'framework', 'added to the framework'],
  ['@metricore/plugin-process', 'plugin-process', 'framework', 'added to the framework'],
  ['@metricore/core-native', 'core-native', null, 'alone: loader and addon'],
  ['tapable', 'tapable', null, 'whole package; the framework loads only its four hook classes, on first access to host.hooks'],
  ['zod', 'zod', null, 'whole package; the framework bundles the zod/mini parts it uses'],
  ['zod/mini', 'zod/mini', null, 'unbundled; for comparison'],
];

function packageRows(r) {
  const median = (c) => r.rows.find((row) => row.case === c)?.retainedBytes.median;
  return PACKAGES.filter(([, c, base]) => median(c) !== undefined && (base === null || median(base) !== undefined)).map(([name, c, base, note]) => [
    name,
    mib(median(c) - (base === null ? 0 : median(base))),
    note,
  ]);
}

/** startupSection: each package's import, then one row per case, median and range of the retained heap. */
export function startupSection(r) {
  const rows = r.rows.map((row) => [row.case, mib(row.retainedBytes.median), `${mib(row.retainedBytes.min)}–${mib(row.retainedBytes.max)}`]);
  return `## Startup heap (MiB retained)

Each case loads in a fresh process (${r.node}); V8's used heap after full collections, before and after loading, over ${r.rounds} rounds (cases alternate). "(require)" loads the CommonJS builds. The targets compare "framework + plugin-http + host" (both builds, and in a node:http server) with "prom-client + one histogram".

Each package's import (medians of this run; a plugin's figure is what it adds to the framework):

${table(['package', 'median MiB', 'what'], packageRows(r))}

Every case:

${table(['case', 'median MiB', 'min–max'], rows)}
`;
}
