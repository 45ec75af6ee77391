/**
 * label-tree: the per-family cache from label values to series, one LabelNode per label level.
 *
 * A node has two fields. With one value at its level it holds that value in `key` and what it
 * leads to in `next`. With more, `key` is MANY and `next` holds the level's values: an array of
 * (value, next) pairs sized exactly while the level holds at most SMALL_LEVEL values, then a Map.
 * What the last level leads to is a leaf: a series handle (a number), or a child object once one
 * was asked for (labels.ts decides).
 *
 * Sizes (Node 20, 64-bit pointers; heap snapshot at 100k series of a 3-label histogram: 25,000
 * routes x 4 methods x 1 code, issue #16): a 2-field node is 40 B (a 3-field one was 48 B); a
 * 4-value level is a 40 B node and an 8-slot array (32 B + 80 B backing store) where a 3-entry
 * Map took ~240 B; a handle leaf is no object where a child object took 32 B.
 * Values compare with `===` (a string and a number never match, as Map keys never did; NaN is
 * never stored, label checks refuse it).
 */

/**
 * MANY: the `key` of a node whose level holds several values (in `next`). A private object, so
 * no label value can be it.
 */
export const MANY: object = Object.freeze({ many: true });

/**
 * SMALL_LEVEL: the most values a level keeps in a pair array before it moves them to a Map.
 * Measured with 4 values (3-label observe(labels, v) over 64 label sets, 4 methods per route,
 * whole processes interleaved, 30 pairs, load average 2-3): the pair array's scan took 0.96x the
 * time of the same code with that level in a Map (8.5x vs 8.9x the histogram floor); 8 is a guess
 * at where a scan of string compares stops beating one hash lookup, not measured.
 */
export const SMALL_LEVEL = 8;

/** LabelNode: one level: `key` -> `next`, or `key` MANY and `next` the level's pairs or Map. */
export class LabelNode {
  key: unknown = undefined;
  next: unknown = undefined;
}

/** Pairs: a level's values as [value0, next0, value1, next1, ...], always exactly sized. */
type Pairs = unknown[];

/** pairIndex: the index of `value` in a pair array, or -1. */
function pairIndex(pairs: Pairs, value: unknown): number {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === value) return i;
  return -1;
}

/** nextOf: what `value` leads to at `node`, or undefined. */
function nextOf(node: LabelNode, value: unknown): unknown {
  if (node.key === value) return node.next;
  if (node.key !== MANY) return undefined;
  const many = node.next as Pairs | Map<unknown, unknown>;
  if (many instanceof Map) return many.get(value);
  const i = pairIndex(many, value);
  return i < 0 ? undefined : many[i + 1];
}

/** find: what a path of label values leads to (a leaf), or undefined. */
export function find(root: LabelNode, path: readonly unknown[]): unknown {
  let at: unknown = root;
  for (let i = 0; i < path.length && at !== undefined; i++) at = nextOf(at as LabelNode, path[i]);
  return at;
}

/**
 * copyPairs: a new pair array of `pairs` with `extra` appended. `concat` of packed arrays gives a
 * packed array of exactly that length (a pushed array keeps spare capacity), and every pair array
 * stays of one elements kind, so the lookup's element loads see one array map.
 */
function copyPairs(pairs: Pairs, ...extra: unknown[]): Pairs {
  return pairs.concat(extra);
}

/** place: sets what `value` (never undefined) leads to at `node`. */
function place(node: LabelNode, value: unknown, next: unknown): void {
  if (node.key === MANY) {
    const many = node.next as Pairs | Map<unknown, unknown>;
    if (many instanceof Map) {
      many.set(value, next);
      return;
    }
    const i = pairIndex(many, value);
    if (i >= 0) many[i + 1] = next;
    else if (many.length < 2 * SMALL_LEVEL) node.next = copyPairs(many, value, next);
    else {
      const map = new Map<unknown, unknown>();
      for (let j = 0; j < many.length; j += 2) map.set(many[j], many[j + 1]);
      node.next = map.set(value, next);
    }
  } else if (node.key === value || node.key === undefined) {
    node.key = value;
    node.next = next;
  } else {
    node.next = [node.key, node.next, value, next];
    node.key = MANY;
  }
}

/** insert: caches `leaf` under a path of label values (at least one). */
export function insert(root: LabelNode, path: readonly unknown[], leaf: unknown): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    let next = nextOf(node, path[i]) as LabelNode | undefined;
    if (next === undefined) place(node, path[i], (next = new LabelNode()));
    node = next;
  }
  place(node, path[path.length - 1], leaf);
}

/** eachLeaf: calls `visit` with every leaf under `node`, whose paths are `depth` values long. */
export function eachLeaf(node: LabelNode, depth: number, visit: (leaf: unknown) => void): void {
  const step = (next: unknown): void => {
    if (next === undefined) return;
    if (depth === 1) visit(next);
    else eachLeaf(next as LabelNode, depth - 1, visit);
  };
  if (node.key !== MANY) {
    if (node.key !== undefined) step(node.next);
    return;
  }
  const many = node.next as Pairs | Map<unknown, unknown>;
  if (many instanceof Map) for (const next of many.values()) step(next);
  else for (let i = 1; i < many.length; i += 2) step(many[i]);
}

/** unplace: forgets `value` at `node`; a pair array left with one value becomes that value inline. */
function unplace(node: LabelNode, value: unknown): void {
  if (node.key === value) {
    node.key = undefined;
    node.next = undefined;
    return;
  }
  if (node.key !== MANY) return;
  const many = node.next as Pairs | Map<unknown, unknown>;
  if (many instanceof Map) {
    many.delete(value);
    return;
  }
  const i = pairIndex(many, value);
  if (i < 0) return;
  if (many.length === 4) {
    node.key = many[2 - i];
    node.next = many[3 - i];
  } else {
    node.next = many.slice(0, i).concat(many.slice(i + 2));
  }
}

/** remove: forgets the leaf under a path of label values (emptied levels stay, as they are reused). */
export function remove(root: LabelNode, path: readonly unknown[]): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const next = nextOf(node, path[i]) as LabelNode | undefined;
    if (next === undefined) return;
    node = next;
  }
  unplace(node, path[path.length - 1]);
}

/**
 * walkSource: statements that walk the object `labels` from the node `n` to its cached leaf, left
 * in `n`; any miss leaves the block labelled `walk` (`break walk`). They need `v`, `m`, `i` and
 * `MANY` in scope. A leaf is found only when the object holds exactly the family's names: a cached
 * label set must never take samples meant for another (an unknown key is then refused by the
 * binding path, and counted as invalid_labels by the recording path). Each `labels.<name>` read is
 * a property load of its own, monomorphic in a user's loop.
 */
export function walkSource(labelNames: readonly string[]): string {
  // Label names passed isValidLabelName ([a-zA-Z_][a-zA-Z0-9_]*), so they are safe identifiers.
  let body = '';
  for (const name of labelNames) {
    body += `v = labels.${name};\n`;
    // One value at this level: one compare. Several: a scan of the exact-size pair array, or the Map.
    body += 'if (n.key === v) n = n.next;\n';
    body += 'else if (n.key === MANY) {\n';
    body += '  m = n.next;\n';
    body += '  if (Array.isArray(m)) { for (i = 0; i < m.length; i += 2) if (m[i] === v) break; n = i < m.length ? m[i + 1] : undefined; }\n';
    body += '  else n = m.get(v);\n';
    body += '} else break walk;\n';
    body += 'if (n === undefined) break walk;\n';
  }
  // The key count is most of a cached lookup: the for-in calls V8's ForInEnumerate builtin, 7.4 ns
  // for a 2-key object (a loop of it alone: 10.7 ns where the Float64Array floor took 3.4 ns;
  // Object.keys(labels).length 16.0 ns; medians of 21 rounds of 1M calls, Node 20), and a whole
  // `counter.inc(labels)` measured 12.2-12.6 ns with it, 5.3-6.3 ns without; with a label object
  // built per call (benchmarks' user-code child, CommonJS, no deopts in the loop) 19-24 ns with it,
  // 9.0-10.5 ns without. Exactness needs it: a missing name fails the walk, but only the count sees
  // an extra one, and V8 shows JS no cheaper way to see an object's keys (an identity cache would
  // miss a key added to a reused object).
  body += `let k = 0; for (const key in labels) k++;\nif (k !== ${labelNames.length}) break walk;\n`;
  return body;
}

/** Lookup: the generated per-family walk from a label object to its cached leaf (a handle or a child). */
export type Lookup<C> = (root: LabelNode, labels: Record<string, unknown>) => C | number | undefined;

/** compileLookup: the walk of walkSource as a function of its own, for one family's label names. */
export function compileLookup<C>(labelNames: readonly string[]): Lookup<C> {
  const body = `let n = root, v, m, i;\nwalk: {\n${walkSource(labelNames)}return n;\n}\nreturn undefined;`;
  return new Function('MANY', `return function lookup(root, labels) {\n${body}\n};`)(MANY) as Lookup<C>;
}
