/**
 * memory-child: one clean measurement of the bytes one series costs in one library.
 *
 * Run as `node --expose-gc memory-child.mjs <peer> <series>` in a fresh process. The baseline is
 * taken after the library is loaded, its family defined and one scrape rendered, so only the
 * series themselves (each with one observation, applied and scraped once) are in the delta.
 * Prints `{ heapBytes, rssBytes }` deltas as JSON on stdout.
 */
import { createPeer } from './peers.mjs';

const [name, countArg] = process.argv.slice(2);
const count = Number(countArg);

// Native (napi) buffer finalizers run on a later turn, not inside gc(): yield between collections.
async function settle() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

const peer = await createPeer(name, 'bench-memory');
const h = peer.histogram('bench_memory_request_duration_seconds', ['route', 'code']);
const record = peer.name === 'opentelemetry' ? (labels, v) => h.record(v, labels) : (labels, v) => h.observe(labels, v);
record({ route: 'warm', code: '200' }, 0.1);
await peer.scrape(false);
const before = await settle();
for (let i = 0; i < count; i++) record({ route: `/api/v1/projects/${i}/builds`, code: String(200 + (i % 5)) }, 0.001 * (i % 1000));
peer.flush();
await peer.scrape(false);
const after = await settle();
process.stdout.write(`${JSON.stringify({ heapBytes: after.heap - before.heap, rssBytes: after.rss - before.rss })}\n`);
process.exit(0);
