/**
 * report-startup: the report's section and target verdict for the startup scenario (issue #17):
 * the JS heap each package's import retains, beside prom-client with one histogram.
 */

const mib = (b) => (b == null ? '—' : (b / 2 ** 20).toFixed(2));

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** startupTargets: the startup-heap verdict (same shape as report.mjs's targets). */
export function startupTargets(r) {
  const rows = r?.rows ?? [];
  if (rows.length === 0) return [];
  const median = (c) => rows.find((row) => row.case === c)?.retainedBytes.median;
  const ours = median('framework + plugin-http + host');
  const prom = median('prom-client + one histogram');
  return [
    {
      figure: 'startup heap: framework + plugin-http + a host',
      target: '≤ prom-client with one histogram',
      measured: `${mib(ours)} MiB vs ${mib(prom)} MiB (median retained heap)`,
      met: ours <= prom,
    },
  ];
}

/** startupSection: one row per case, median and range of the retained heap. */
export function startupSection(r) {
  const rows = r.rows.map((row) => [row.case, mib(row.retainedBytes.median), `${mib(row.retainedBytes.min)}–${mib(row.retainedBytes.max)}`]);
  return `## Startup heap (MiB retained)

Each case loads in a fresh process (${r.node}); V8's used heap after full collections, before and after loading, over ${r.rounds} rounds (cases alternate). "(require)" loads the CommonJS builds. The target compares "framework + plugin-http + host" with "prom-client + one histogram".

${table(['case', 'median MiB', 'min–max'], rows)}
`;
}
