/**
 * chart: the SVG chart of a run, drawn by Vega-Lite (compiled to Vega, rendered headless to SVG).
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

const OPERATION_TITLES = {
  bound: 'bound observe',
  labels1: 'observe(labels) 1',
  labels3: 'observe(labels) 3',
  labels6: 'observe(labels) 6',
  unlabelled: 'unlabelled observe',
  inc: 'counter inc',
};

/** renderChart: recording ns/op per operation and library, and 10k-series scrape time, as one SVG string. */
export async function renderChart(results) {
  const recording = (results.scenarios.recording?.rows ?? []).map((r) => ({
    operation: OPERATION_TITLES[r.operation] ?? r.operation,
    library: r.library,
    ns: r.nsPerOp.median,
  }));
  const scrapeRows = results.scenarios.scrape?.rows ?? [];
  const mid = [...new Set(scrapeRows.map((r) => r.series))].sort((a, b) => a - b).at(-2) ?? scrapeRows[0]?.series;
  const scrape = scrapeRows
    .filter((r) => r.series === mid && !r.gzip)
    .flatMap((r) => [
      { library: r.library, measure: 'total', ms: r.totalMs.median },
      { library: r.library, measure: 'event loop blocked', ms: Math.max(r.blockedMs.median, 0.01) },
    ]);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `metricore benchmarks (${results.system.cpu}, ${results.system.cores} cores, Node ${results.system.node})`,
    config: { font: 'sans-serif' },
    vconcat: [
      {
        title: 'Recording: ns per operation (median, log scale; lower is better)',
        data: { values: recording },
        mark: 'bar',
        encoding: {
          row: { field: 'operation', type: 'nominal', sort: Object.values(OPERATION_TITLES), header: { labelAngle: 0, labelAlign: 'left' }, title: null },
          y: { field: 'library', type: 'nominal', title: null },
          x: { field: 'ns', type: 'quantitative', scale: { type: 'log', domain: [1, 10000] }, title: 'ns/op' },
          // Bars on a log scale need an explicit base: the domain's lower end.
          x2: { datum: 1 },
          color: { field: 'library', type: 'nominal', legend: null },
        },
        width: 420,
      },
      {
        title: `Scrape of ${mid} series x 20 buckets: ms (median, log scale; lower is better)`,
        data: { values: scrape },
        mark: 'bar',
        encoding: {
          row: { field: 'measure', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left' } },
          y: { field: 'library', type: 'nominal', title: null },
          x: { field: 'ms', type: 'quantitative', scale: { type: 'log', domain: [0.01, 10000] }, title: 'ms' },
          x2: { datum: 0.01 },
          color: { field: 'library', type: 'nominal', legend: null },
        },
        width: 420,
      },
    ],
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  await view.runAsync();
  return view.toSVG();
}
