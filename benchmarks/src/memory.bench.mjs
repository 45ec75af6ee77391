/**
 * memory: bytes per 20-bucket, 3-label histogram series at 10k and 100k series, per library, with
 * a breakdown.
 *
 * Each (library, size, repetition) runs in a fresh child process (lib/memory-child.mjs), so no
 * library's heap, caches or native allocations are seen by another's measurement. Every library
 * with a series cap has it raised above N (lib/peers.mjs): metricore's default of 10,000 would
 * fold 90% of 100k label sets into one overflow series. Reported per series: resident memory
 * (the only figure that sees native memory), V8 heap used, V8 heap committed, and the rest of
 * resident memory (resident minus committed V8 heap: native allocations, the allocator's own
 * overhead, ArrayBuffers). At the largest size one more child per library takes heap snapshots
 * and lists the JS objects the series are made of (lib/heap-breakdown.mjs). A last row binds
 * metricore's series through the core alone: the difference to metricore's row is its JS cache;
 * that row is also measured at twice the largest size, for the marginal cost of a series. A row
 * with no library at all shows what the measuring loop's own garbage leaves in every row.
 *
 * Every child measures right after the loop and again at rest (6 s idle, then the same collection;
 * lib/memory-child.mjs): V8 grows its young generation to 32 MB while the series are created
 * (capacity sized by recent survival, not live data) and returns it once idle. The target is
 * judged at rest; both figures and new space's committed size are reported.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PEER_NAMES } from './lib/peers.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const child = fileURLToPath(new URL('./lib/memory-child.mjs', import.meta.url));
/** NATIVE_ONLY: the row of metricore's native core alone (series bound through the core, no JS child cache). */
const NATIVE_ONLY = 'metricore (native core only)';
/**
 * CORE_BREAKDOWN: what the native core holds per series of this family at 100,000 series, before
 * and after the compact-series work (issue #16), item by item. The totals are measured: glibc's
 * in-use bytes (`mallinfo2`) around binding and recording 100,000 series, in
 * core-native/src/series_memory_tests.rs (run it with `cargo test -p metricore-core-native --lib
 * series_memory -- --ignored --nocapture`); the items are the sizes in the code (struct sizes,
 * allocator chunks of 16 B with an 8 B header, table capacities at 100,000 entries) and add up to
 * the measured totals within a few bytes. Resident memory adds what the JS side of the
 * native-only row allocates (label strings and arrays, V8's own growth): the rows above.
 */
const CORE_BREAKDOWN = {
  measuredInUseBytes: { before: 435, after: 202 },
  items: [
    { item: 'histogram cells (21 buckets + sum)', before: '192 (64-bit counts, 176 B, in a heap block of their own)', after: '96 (32-bit counts two to a word, then the sum, in the family arena)' },
    { item: 'series struct', before: '96 (`Box<Series>`, 88 B: label text mutex and `Arc`, cell slice)', after: '48 (in the family arena; ids, cells and a histogram\'s first writer held in its fields, no cell enum)' },
    { item: 'label text / label value ids', before: '~90 (escaped `name="value",...` text in an `Arc<str>` per series)', after: '12 (3 value ids) + ~20 (interned values: 25,000 routes shared by 4 series each, 4 methods, 5 codes)' },
    { item: 'label set → handle map', before: '~33 (`HashMap<Arc<str>, u32>`: 24 B entries + control byte, 131,072 buckets)', after: '~7 (`HashTable<u32>` of handles compared by their ids: 4 B + control byte)' },
    { item: 'exposition order (Vec of series pointers)', before: '~10', after: '~10' },
    { item: 'series table slot', before: '8', after: '8' },
  ],
};
/** LOOP_ONLY: the row of the measuring loop alone (label objects and arrays built, nothing recorded). */
const LOOP_ONLY = 'none (the loop alone)';
/** HEAP_KINDS_OF: the libraries whose JS heap is broken down by kind of object. */
const HEAP_KINDS_OF = ['metricore', 'prom-client'];

function runChild(name, size, ...flags) {
  const out = execFileSync(process.execPath, ['--expose-gc', child, name, String(size), ...flags], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

async function memory({ quick }) {
  const sizes = quick ? [1000] : [10_000, 100_000];
  const reps = quick ? 1 : 5;
  const rows = [];
  for (const size of sizes) {
    for (const name of [...PEER_NAMES, NATIVE_ONLY, LOOP_ONLY]) {
      const runs = [];
      for (let i = 0; i < reps; i++) {
        runs.push(
          name === NATIVE_ONLY
            ? runChild('metricore', size, '--native-only')
            : name === LOOP_ONLY
              ? runChild('metricore', size, '--loop-only')
              : runChild(name, size),
        );
      }
      // Right after the loop (top level, the figures this report always had) and at rest (`atRest`).
      const perSeries = (ms) => ({
        rssBytesPerSeries: summarize(ms.map((m) => m.rssBytes / size)),
        heapBytesPerSeries: summarize(ms.map((m) => m.heapBytes / size)),
        heapCommittedBytesPerSeries: summarize(ms.map((m) => m.heapTotalBytes / size)),
        restBytesPerSeries: summarize(ms.map((m) => (m.rssBytes - m.heapTotalBytes) / size)),
        newSpaceBytes: summarize(ms.map((m) => m.newSpaceBytes)),
      });
      const row = {
        library: name,
        series: size,
        labels: 3,
        ...perSeries(runs),
        baselineNewSpaceBytes: summarize(runs.map((m) => m.baselineNewSpaceBytes)),
        atRest: perSeries(runs.map((m) => m.rest)),
      };
      const mib = (b) => (b / 1048576).toFixed(0);
      log(
        `memory ${name} ${size} series: resident right after ${row.rssBytesPerSeries.median.toFixed(0)} B/series ` +
          `(heap used ${row.heapBytesPerSeries.median.toFixed(0)}, heap committed ${row.heapCommittedBytesPerSeries.median.toFixed(0)}, rest ${row.restBytesPerSeries.median.toFixed(0)}, new space ${mib(row.newSpaceBytes.median)} MiB), ` +
          `at rest ${row.atRest.rssBytesPerSeries.median.toFixed(0)} B/series (heap used ${row.atRest.heapBytesPerSeries.median.toFixed(0)}, heap committed ${row.atRest.heapCommittedBytesPerSeries.median.toFixed(0)}, rest ${row.atRest.restBytesPerSeries.median.toFixed(0)}, new space ${mib(row.atRest.newSpaceBytes.median)} MiB; baseline ${mib(row.baselineNewSpaceBytes.median)} MiB)`,
      );
      rows.push(row);
    }
  }
  const largest = sizes.at(-1);
  // The per-series figures above divide everything the process grew by N, fixed costs included:
  // at 100k the native-only row (~300 B) carries ~80 B of the loop's own garbage (the loop-alone
  // row) and ~10 B the scrape leaves; glibc counts 202 B in use per series (series_memory_tests.rs).
  // The marginal cost of a series is the growth from N to 2N series, per series.
  // Below 10k series (quick runs) the fixed costs swamp the difference: not measured.
  let nativeMarginal;
  if (largest >= 10_000) {
    const atLargest = rows.find((r) => r.library === NATIVE_ONLY && r.series === largest);
    const doubled = [];
    for (let i = 0; i < reps; i++) doubled.push(runChild('metricore', 2 * largest, '--native-only'));
    const growth = (perSeries, rss) => (summarize(rss).median - perSeries.median * largest) / largest;
    nativeMarginal = {
      from: largest,
      to: 2 * largest,
      rssBytesPerSeries: growth(atLargest.rssBytesPerSeries, doubled.map((m) => m.rssBytes)),
      atRestRssBytesPerSeries: growth(atLargest.atRest.rssBytesPerSeries, doubled.map((m) => m.rest.rssBytes)),
    };
    log(`memory ${NATIVE_ONLY} marginal ${largest} -> ${2 * largest} series: ${nativeMarginal.rssBytesPerSeries.toFixed(0)} B/series resident right after, ${nativeMarginal.atRestRssBytesPerSeries.toFixed(0)} B at rest`);
  }
  const heapKinds = [];
  for (const name of HEAP_KINDS_OF) {
    const { kinds } = runChild(name, largest, '--heap-kinds');
    log(`heap kinds ${name} ${largest}: ${kinds.map((k) => `${k.kind} ${k.bytesPerSeries.toFixed(0)} B`).join(', ')}`);
    heapKinds.push({ library: name, series: largest, kinds });
  }
  log(`native core per series (measured in use, series_memory_tests.rs): before ${CORE_BREAKDOWN.measuredInUseBytes.before} B, after ${CORE_BREAKDOWN.measuredInUseBytes.after} B`);
  return { sizes, reps, rows, nativeMarginal, heapKinds, coreBreakdown: CORE_BREAKDOWN };
}

runScenario('memory', memory);
