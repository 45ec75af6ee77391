/**
 * worker: the per-chunk recording cost of an artifact transfer (plugin-worker's `t.chunk(bytes)`),
 * against prom-client doing the same work in user code: a byte counter add and a chunk-interval
 * histogram observe (with the same clock read) per chunk, either through children bound once per
 * transfer or with a 3-label object per call. A clock-only loop shows what the clock read alone costs.
 *
 * Each variant's loop is compiled from its own source text (new Function), as in recording.bench.mjs,
 * so no call site is shared across libraries. Byte amounts cycle through 65,536 log-uniform values.
 * Afterwards metricore's chunk count is checked against the number of chunks recorded.
 */
import { Bench } from 'tinybench';
import client from 'prom-client';
import { MetricsHost } from '@metricore/framework';
import { scrapeHost } from '@metricore/framework/testing';
import { BUCKETS, VALUE_MASK, logUniformValues } from './lib/inputs.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const LABELS = { direction: 'pull', transport: 'direct', peer: 'worker-7' };

/** compileLoop: a fresh function per variant that runs `statement` `ops` times over the byte amounts. */
function compileLoop(statement, env, ops, counter) {
  const names = Object.keys(env);
  const src = `
let offset = 0;
let last = performance.now();
return function run() {
  const off = offset;
  offset = (offset + 7919) & MASK;
  for (let i = 0; i < OPS; i++) {
    const bytes = values[(i + off) & MASK] * 1e6;
    ${statement};
  }
  counter.calls++;
};`;
  // eslint-disable-next-line no-new-func
  return new Function(...names, 'MASK', 'OPS', 'counter', src)(...names.map((n) => env[n]), VALUE_MASK, ops, counter);
}

async function worker({ quick }) {
  let workerMetrics;
  try {
    ({ default: workerMetrics } = await import('@metricore/plugin-worker'));
  } catch (error) {
    return { skipped: `@metricore/plugin-worker is not built (${error.message})` };
  }
  const ops = quick ? 16_384 : 131_072;
  const iterations = quick ? 5 : 10;
  const values = logUniformValues();
  const bench = new Bench({ iterations, time: 0, warmup: true, warmupIterations: quick ? 2 : 5, warmupTime: 0, retainSamples: true });

  // metricore: the plugin's handle, bound once per transfer.
  const plugin = workerMetrics({ chunkBuckets: BUCKETS });
  const host = new MetricsHost({ registry: 'bench-worker', plugins: [plugin] });
  const t = plugin.transfer(LABELS);
  const metricoreCounter = { calls: 0 };
  bench.add('metricore: t.chunk(bytes)', compileLoop('t.chunk(bytes)', { values, t }, ops, metricoreCounter));

  // prom-client: the same two families, the same clock read.
  const register = new client.Registry();
  const bytesTotal = new client.Counter({ name: 'worker_transfer_bytes_total', help: 'h', labelNames: ['direction', 'transport', 'peer'], registers: [register] });
  const chunkSeconds = new client.Histogram({ name: 'worker_transfer_chunk_seconds', help: 'h', labelNames: ['direction', 'transport', 'peer'], buckets: BUCKETS, registers: [register] });
  const c = bytesTotal.labels(LABELS);
  const h = chunkSeconds.labels(LABELS);
  const timed = 'const now = performance.now(); h.observe((now - last) / 1000); last = now;';
  bench.add('prom-client: bound children', compileLoop(`${timed} c.inc(bytes)`, { values, c, h }, ops, { calls: 0 }));
  bench.add(
    'prom-client: 3-label objects',
    compileLoop('const now = performance.now(); hist.observe(labels, (now - last) / 1000); last = now; bytesCounter.inc(labels, bytes)', { values, hist: chunkSeconds, bytesCounter: bytesTotal, labels: LABELS }, ops, { calls: 0 }),
  );
  const sink = { x: 0 };
  bench.add('clock read only', compileLoop('const now = performance.now(); sink.x += (now - last) + bytes; last = now', { values, sink }, ops, { calls: 0 }));

  log(`worker: ${bench.tasks.length} tasks x ${iterations} samples of ${ops} chunks`);
  bench.addEventListener('cycle', (e) => log(`  ${e.task.name}: ${((e.task.result.latency.mean * 1e6) / ops).toFixed(1)} ns/chunk`));
  await bench.run();

  const rows = bench.tasks.map((task) => ({ variant: task.name, nsPerChunk: summarize(task.result.latency.samples.map((ms) => (ms * 1e6) / ops)) }));

  // Exactness: every chunk recorded is in the scrape.
  t.end('ok');
  const scrape = await scrapeHost(host);
  const expected = metricoreCounter.calls * ops;
  const actual = scrape.histogram('worker_transfer_chunk_seconds', { direction: 'pull', transport: 'direct' }).count;
  if (expected !== actual) log(`  MISMATCH chunks: expected ${expected}, scraped ${actual}`);
  await host.close();

  const ns = (name) => rows.find((r) => r.variant.startsWith(name)).nsPerChunk.median;
  const fmt = (n) => n.toFixed(1);
  const table = [
    '| variant | ns/chunk (median) | range | x faster than prom-client bound |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.variant} | ${fmt(r.nsPerChunk.median)} | ${fmt(r.nsPerChunk.min)}–${fmt(r.nsPerChunk.max)} | ${(ns('prom-client: bound') / r.nsPerChunk.median).toFixed(2)}x |`),
  ].join('\n');
  const markdown = `${table}\n\nOne chunk = a byte-counter add and a chunk-interval histogram observe (20 buckets) with one \`performance.now()\`, ${ops.toLocaleString('en')} chunks per sample, ${iterations} samples. Chunks verified in metricore's scrape: ${actual}/${expected}.`;
  return { rows, opsPerSample: ops, iterations, verified: { expected, actual, exact: expected === actual }, markdown };
}

runScenario('worker', worker);
