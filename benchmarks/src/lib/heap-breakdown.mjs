/**
 * heap-breakdown: the live JS heap by kind of object, from a V8 heap snapshot, so a per-series
 * memory figure can say which objects it is made of (e.g. a child object and a Map entry per
 * label set). Keys are `<constructor>` for objects and `(<node type>) <name>` for V8 internals.
 */
import { getHeapSnapshot } from 'node:v8';

/** heapByKind: self bytes and counts of every live heap object, grouped by kind. */
export async function heapByKind() {
  globalThis.gc?.();
  const chunks = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk);
  const snapshot = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const { nodes, strings } = snapshot;
  const kinds = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const name = strings[nodes[i + nameAt]];
    const key = type === 'object' ? name : type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '(string)' : type === 'number' ? '(heap number)' : `(${type}) ${name === '' && type === 'array' ? '(no name: Map and array backing stores)' : name.length > 40 ? `${name.slice(0, 40)}…` : name}`;
    const entry = kinds.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += nodes[i + sizeAt];
    entry.count += 1;
    kinds.set(key, entry);
  }
  return kinds;
}

/** diffKinds: the kinds that grew from `before` to `after`, largest first, per `divisor` (e.g. per series). */
export function diffKinds(before, after, divisor, top = 8) {
  const grown = [];
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { bytes: 0, count: 0 };
    const bytes = a.bytes - b.bytes;
    if (bytes > 0) grown.push({ kind, bytesPerSeries: bytes / divisor, countPerSeries: (a.count - b.count) / divisor });
  }
  grown.sort((x, y) => y.bytesPerSeries - x.bytesPerSeries);
  const shown = grown.slice(0, top);
  const rest = grown.slice(top).reduce((sum, g) => sum + g.bytesPerSeries, 0);
  if (rest > 0) shown.push({ kind: '(everything else)', bytesPerSeries: rest, countPerSeries: null });
  return shown;
}
