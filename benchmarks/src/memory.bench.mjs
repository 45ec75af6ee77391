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
 * metricore's series through the core alone: the difference to metricore's row is its JS cache.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PEER_NAMES } from './lib/peers.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const child = fileURLToPath(new URL('./lib/memory-child.mjs', import.meta.url));
/** NATIVE_ONLY: the row of metricore's native core alone (series bound through the core, no JS child cache). */
const NATIVE_ONLY = 'metricore (native core only)';
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
    for (const name of [...PEER_NAMES, NATIVE_ONLY]) {
      const rss = [];
      const heap = [];
      const committed = [];
      const rest = [];
      for (let i = 0; i < reps; i++) {
        const m = name === NATIVE_ONLY ? runChild('metricore', size, '--native-only') : runChild(name, size);
        rss.push(m.rssBytes / size);
        heap.push(m.heapBytes / size);
        committed.push(m.heapTotalBytes / size);
        rest.push((m.rssBytes - m.heapTotalBytes) / size);
      }
      const row = {
        library: name,
        series: size,
        labels: 3,
        rssBytesPerSeries: summarize(rss),
        heapBytesPerSeries: summarize(heap),
        heapCommittedBytesPerSeries: summarize(committed),
        restBytesPerSeries: summarize(rest),
      };
      log(
        `memory ${name} ${size} series: resident ${row.rssBytesPerSeries.median.toFixed(0)} B/series ` +
          `(heap used ${row.heapBytesPerSeries.median.toFixed(0)}, heap committed ${row.heapCommittedBytesPerSeries.median.toFixed(0)}, rest ${row.restBytesPerSeries.median.toFixed(0)})`,
      );
      rows.push(row);
    }
  }
  const largest = sizes.at(-1);
  const heapKinds = [];
  for (const name of HEAP_KINDS_OF) {
    const { kinds } = runChild(name, largest, '--heap-kinds');
    log(`heap kinds ${name} ${largest}: ${kinds.map((k) => `${k.kind} ${k.bytesPerSeries.toFixed(0)} B`).join(', ')}`);
    heapKinds.push({ library: name, series: largest, kinds });
  }
  return { sizes, reps, rows, heapKinds };
}

runScenario('memory', memory);
