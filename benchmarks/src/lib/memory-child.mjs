/**
 * memory-child: one clean measurement of the bytes one series costs in one library.
 *
 * Run as `node --expose-gc memory-child.mjs <peer> <series> [--heap-kinds]` in a fresh process.
 * The family is the issue's: a 20-bucket histogram with three labels (route, method, code). The
 * baseline is taken after the library is loaded, its family defined and one scrape rendered, so
 * only the series themselves (each with one observation, applied and scraped once) are in the
 * delta. Prints JSON on stdout: deltas of resident memory, V8 heap used, V8 heap committed
 * (`heapTotal`) and external memory; with `--heap-kinds`, instead of memory figures (a heap
 * snapshot disturbs them), the JS heap's growth by kind of object (heap-breakdown.mjs). With
 * `--native-only` (metricore) the series are bound through the core's `bindSeries` directly, with
 * no JS child cache: what the native core alone holds per series. With `--loop-only` nothing
 * records: the loop builds the same label objects, strings and arrays and drops them, which is
 * what every row's figure includes besides the library (V8 keeps some of the pages that garbage
 * touched).
 *
 * Every run measures twice, the same way for every library: right after the loop (collected with
 * settle()), and at rest: after REST_MS of idleness, the same settle() again. V8 sizes its young
 * generation (new space) by recent survival: while the series are created, every scavenge sees
 * megabytes survive and V8 doubles new space (1 -> 2 -> 4 -> 8 -> 16 MB semi-spaces, 32 MB
 * committed), and it gives that capacity back only at a full collection once its allocation
 * throughput over the last 5 s is low. The figure at rest is what a process holding these series
 * costs once it is not creating more; the figure right after includes that transient GC capacity.
 * Both report new space's committed size, so the difference is visible.
 */
import { createRequire } from 'node:module';
import { getHeapSpaceStatistics } from 'node:v8';
import { BUCKETS } from './inputs.mjs';
import { createPeer } from './peers.mjs';
import { diffKinds, heapByKind } from './heap-breakdown.mjs';

const [name, countArg, flag] = process.argv.slice(2);
const count = Number(countArg);
const heapKinds = flag === '--heap-kinds';
const nativeOnly = flag === '--native-only';
const loopOnly = flag === '--loop-only';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
/** REST_MS: idleness before the at-rest measurement: longer than V8's 5 s allocation-throughput window. */
const REST_MS = 6000;

// Native (napi) buffer finalizers run on a later turn, not inside gc(): yield between collections.
async function settle() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const m = process.memoryUsage();
  return m;
}

/** rest: idles REST_MS (no timers, no allocation) so V8 sees a low allocation throughput. */
function rest() {
  return new Promise((resolve) => setTimeout(resolve, REST_MS));
}

/** newSpaceBytes: V8's young generation as committed now (both semi-spaces). */
function newSpaceBytes() {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

function deltas(before, after) {
  return {
    rssBytes: after.rss - before.rss,
    heapBytes: after.heapUsed - before.heapUsed,
    heapTotalBytes: after.heapTotal - before.heapTotal,
    externalBytes: after.external - before.external,
    newSpaceBytes: newSpaceBytes(),
  };
}

function nativeCore() {
  const core = createRequire(import.meta.url)('@metricore/core-native');
  const family = core.defineFamily({
    registry: 'bench-memory-native',
    kind: 'histogram',
    name: 'bench_memory_request_duration_seconds',
    help: 'memory',
    labelNames: ['route', 'method', 'code'],
    buckets: BUCKETS,
    maxSeries: 1_000_000,
  });
  const thread = core.registerThread();
  return {
    record: (labels, v) => core.bindAndRecord(family, thread, [labels.route, labels.method, labels.code], v, false),
    peer: { flush: () => {}, scrape: () => core.render('bench-memory-native', false, false, []) },
  };
}

/** The loop without a library: label values built into an array, as the native-only row does. */
function loopAlone() {
  let sink;
  return {
    record: (labels) => {
      sink = [labels.route, labels.method, labels.code];
      return sink;
    },
    peer: { flush: () => {}, scrape: async () => sink },
  };
}

const core = nativeOnly ? nativeCore() : loopOnly ? loopAlone() : undefined;
const peer = core ? core.peer : await createPeer(name, 'bench-memory');
const h = core ? undefined : peer.histogram('bench_memory_request_duration_seconds', ['route', 'method', 'code']);
const record = core ? core.record : peer.name === 'opentelemetry' ? (labels, v) => h.record(v, labels) : (labels, v) => h.observe(labels, v);
record({ route: 'warm', method: 'GET', code: '200' }, 0.1);
await peer.scrape(false);
// The baseline is taken at rest too (loading the library and the first scrape grew new space to
// 4 MB on Node 20), so both figures count from a resting process.
if (!heapKinds) await settle().then(rest);
const before = heapKinds ? await settle().then(heapByKind) : await settle();
const baselineNewSpaceBytes = newSpaceBytes();
for (let i = 0; i < count; i++) {
  record({ route: `/api/v1/projects/${i >> 2}/builds`, method: METHODS[i & 3], code: String(200 + (i % 5)) }, 0.001 * (i % 1000));
}
peer.flush();
await peer.scrape(false);
if (heapKinds) {
  const after = await settle().then(heapByKind);
  process.stdout.write(`${JSON.stringify({ kinds: diffKinds(before, after, count) })}\n`);
} else {
  const after = deltas(before, await settle());
  await rest();
  const atRest = deltas(before, await settle());
  // Right after the loop at the top level (the figures before at-rest existed), at rest under `rest`.
  process.stdout.write(`${JSON.stringify({ ...after, baselineNewSpaceBytes, rest: atRest })}\n`);
}
process.exit(0);
