/**
 * memory: bytes per 20-bucket histogram series at 10k and 100k series, per library.
 *
 * Each (library, size, repetition) runs in a fresh child process (lib/memory-child.mjs), so no
 * library's heap, caches or native allocations are seen by another's measurement. Reported per
 * series: the JS heap + external delta and the resident-set delta (which alone sees native memory).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PEER_NAMES } from './lib/peers.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const child = fileURLToPath(new URL('./lib/memory-child.mjs', import.meta.url));

async function memory({ quick }) {
  const sizes = quick ? [1000] : [10_000, 100_000];
  const reps = quick ? 1 : 5;
  const rows = [];
  for (const size of sizes) {
    for (const name of PEER_NAMES) {
      const heap = [];
      const rss = [];
      for (let i = 0; i < reps; i++) {
        const out = execFileSync(process.execPath, ['--expose-gc', child, name, String(size)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        const { heapBytes, rssBytes } = JSON.parse(out.trim().split('\n').pop());
        heap.push(heapBytes / size);
        rss.push(rssBytes / size);
      }
      const row = { library: name, series: size, heapBytesPerSeries: summarize(heap), rssBytesPerSeries: summarize(rss) };
      log(`memory ${name} ${size} series: heap ${row.heapBytesPerSeries.median.toFixed(0)} B/series, rss ${row.rssBytesPerSeries.median.toFixed(0)} B/series`);
      rows.push(row);
    }
  }
  return { sizes, reps, rows };
}

runScenario('memory', memory);
