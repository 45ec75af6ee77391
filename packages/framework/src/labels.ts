/**
 * labels: turns label values into cached children bound to native series handles.
 *
 * Children live in a tree with one level per label name (label-tree.ts), so a repeated label set
 * costs one `===` (or one Map lookup) per label and never builds or hashes a joined key, which is
 * what prom-client does per call. The object-lookup function is generated per family so each
 * `labels.<name>` read is a monomorphic property load.
 */
import { errors, fromNativeError } from './errors.js';
import { native } from './native.js';
import { FOLDED, releaseDeltaCells, thread } from './recorder.js';
import { compileLookup, eachLeaf, find, insert, LabelNode, remove, type Lookup } from './label-tree.js';

/** BoundChild: what every child has: the native handle it records with (updated if its series is revived). */
export interface BoundChild {
  handle: number;
}

/** handleOf: the series handle of a cached leaf (a child, or a histogram's bare handle). */
function handleOf(leaf: BoundChild | number): number {
  return typeof leaf === 'number' ? leaf : leaf.handle;
}

/** LabelValue: what a label value may be; numbers are converted with `String()`. */
export type LabelValue = string | number;
/** Labels: a label set keyed by label name; every label of the family needs a value (a missing one is a type error). */
export type Labels<L extends string = string> = Record<L, LabelValue>;

/**
 * FOLDED_CACHE_LIMIT: how many label sets per family that fold into a shared series (allowlist
 * misses, cut or dropped values, the overflow series) are cached. Beyond it such a label set is
 * bound per sample (one native call that binds and records, ~1 µs), so a stream of distinct values
 * cannot grow the cache: at most this many entries (~150 B each) per family. Label sets top-N
 * folds right now are never cached, and children of demoted top-N values are dropped at the next
 * upkeep (`prune`).
 */
export const FOLDED_CACHE_LIMIT = 1024;

/**
 * LabelBinder: the per-family cache from label values to bound children.
 *
 * With `leafHandles` (histograms), a label set recorded only through the object form
 * (`observe(labels, v)`) is cached as its series handle, a number, and gets a child object only when
 * `labels(...)` asks for one (then cached in its place): at 100k series of a 3-label histogram the
 * child objects were 32 B per series (heap snapshot, issue #16). Counters and gauges keep child
 * objects: their object forms add into the child's delta cell.
 */
export class LabelBinder<C extends BoundChild> {
  /** root: the label cache; recording methods walk it (object-form.ts), a reset replaces it. */
  root = new LabelNode();
  private readonly lookup: Lookup<C>;
  /** The one child of a family without labels. */
  private unlabelled: C | undefined;
  /** onUnlabelledDropped: called when the unlabelled child leaves the cache, for the family's own copy of it (metric.ts). */
  onUnlabelledDropped: (() => void) | undefined = undefined;
  /** Cached key paths (their leaves are in the tree), kept only for families with a TTL or top-N (to prune them). */
  private readonly entries: Array<{ path: readonly unknown[]; folded: boolean }> | undefined;
  /** Cached label sets that fold into a shared series (bounded by FOLDED_CACHE_LIMIT). */
  private foldedCached = 0;

  constructor(
    private readonly metric: string,
    private readonly familyId: number,
    readonly labelNames: readonly string[],
    private readonly makeChild: (handle: number) => C,
    private readonly makeFoldedChild: (values: string[]) => C,
    evicts: boolean,
    /** Cache a handle, not a child, for label sets recorded through the object form. */
    private readonly leafHandles = false,
  ) {
    this.lookup = compileLookup<C>(labelNames);
    this.entries = evicts ? [] : undefined;
  }

  /**
   * prune: after the core evicted idle series or top-N demoted a value, forgets their cached
   * children (a child the application still holds keeps recording: into its revived series, or
   * into `__other__` while its value is demoted) and follows revived handles.
   */
  prune(): void {
    const entries = this.entries;
    if (entries === undefined || entries.length === 0) return;
    const leaves = entries.map((e) => (e.path.length === 0 ? this.unlabelled : (find(this.root, e.path) as C | number | undefined)));
    const live = native.resolveHandles(this.familyId, Uint32Array.from(leaves, (leaf) => (leaf === undefined ? 0 : typeof leaf === 'number' ? leaf : leaf.handle)));
    let kept = 0;
    const gone: number[] = [];
    entries.forEach((entry, i) => {
      const leaf = leaves[i];
      if (live[i] === 0 || leaf === undefined) {
        if (leaf !== undefined) gone.push(handleOf(leaf));
        this.forgetPath(entry.path);
        if (entry.folded) this.foldedCached--;
      } else {
        if (typeof leaf === 'number') insert(this.root, entry.path, live[i]);
        else leaf.handle = live[i];
        entries[kept++] = entry;
      }
    });
    entries.length = kept;
    releaseDeltaCells(gone);
  }

  /** clear: forgets every cached child (their series give their delta cells back). */
  clear(): void {
    const handles: number[] = [];
    if (this.unlabelled !== undefined) handles.push(this.unlabelled.handle);
    if (this.labelNames.length > 0) eachLeaf(this.root, this.labelNames.length, (leaf) => handles.push(handleOf(leaf as C | number)));
    releaseDeltaCells(handles);
    this.root = new LabelNode();
    this.unlabelled = undefined;
    this.onUnlabelledDropped?.();
    this.foldedCached = 0;
    if (this.entries) this.entries.length = 0;
  }

  /** valuesOf: the values of a label object in label order; throws a coded error for bad labels. */
  valuesOf(labels: Partial<Labels>): Array<string | number> {
    if (labels === null || typeof labels !== 'object') {
      throw errors.invalidOption(`metric "${this.metric}"`, `labels must be an object, got ${typeof labels}`);
    }
    for (const key of Object.keys(labels)) {
      if (!this.labelNames.includes(key)) throw errors.unknownLabel(this.metric, key, this.labelNames);
    }
    return this.checkValues(
      this.labelNames.map((name) => {
        if (!(name in labels)) throw errors.missingLabel(this.metric, name);
        return labels[name];
      }),
    );
  }

  /** checkValues: positional values checked for count and type. */
  checkValues(values: readonly unknown[]): Array<string | number> {
    if (values.length !== this.labelNames.length) throw errors.labelCount(this.metric, this.labelNames, values.length);
    values.forEach((v, i) => {
      if (typeof v !== 'string' && (typeof v !== 'number' || Number.isNaN(v))) throw errors.invalidLabelValue(this.metric, this.labelNames[i], v);
    });
    return values as Array<string | number>;
  }

  /** forget: drops the cached child of a label path (both its string and number spellings); its series gives its delta cell back. */
  forget(path: readonly unknown[]): void {
    const spelled = path.map((v) => (typeof v === 'number' ? String(v) : v));
    const handles: number[] = [];
    for (const p of [path, spelled]) {
      const leaf = (p.length === 0 ? this.unlabelled : find(this.root, p)) as C | number | undefined;
      if (leaf !== undefined) handles.push(handleOf(leaf));
    }
    releaseDeltaCells(handles);
    if (this.entries) {
      const key = path.map(String).join('\u0000');
      for (let i = this.entries.length - 1; i >= 0; i--) {
        if (this.entries[i].path.map(String).join('\u0000') !== key) continue;
        if (this.entries[i].folded) this.foldedCached--;
        this.entries.splice(i, 1);
      }
    }
    this.forgetPath(path);
    if (spelled.some((v, i) => v !== path[i])) this.forgetPath(spelled);
  }

  private forgetPath(path: readonly unknown[]): void {
    if (path.length === 0) {
      this.unlabelled = undefined;
      this.onUnlabelledDropped?.();
      return;
    }
    remove(this.root, path);
  }

  /** fromObject: the child for a label object; throws a coded error for bad labels. */
  fromObject(labels: Partial<Labels>): C {
    if (this.labelNames.length === 0) return this.bindObject(labels);
    const leaf = this.lookup(this.root, labels);
    if (leaf === undefined) return this.bindObject(labels);
    return typeof leaf === 'number' ? this.adopt(this.labelNames.map((name) => labels[name]), leaf) : leaf;
  }

  /** fromValues: the child for positional label values. */
  fromValues(values: readonly unknown[]): C {
    if (values.length !== this.labelNames.length) throw errors.labelCount(this.metric, this.labelNames, values.length);
    if (values.length === 0) return (this.unlabelled ??= this.bind(values));
    const leaf = find(this.root, values) as C | number | undefined;
    if (leaf === undefined) return this.bind(values);
    return typeof leaf === 'number' ? this.adopt(values, leaf) : leaf;
  }

  /** adopt: the child for a label path cached as a handle, cached in its place from now on. */
  private adopt(values: readonly unknown[], handle: number): C {
    const child = this.makeChild(handle);
    insert(this.root, values, child);
    return child;
  }

  private bindObject(labels: Partial<Labels>): C {
    if (labels === null || typeof labels !== 'object') {
      throw errors.invalidOption(`metric "${this.metric}"`, `labels must be an object, got ${typeof labels}`);
    }
    for (const key of Object.keys(labels)) {
      if (!this.labelNames.includes(key)) throw errors.unknownLabel(this.metric, key, this.labelNames);
    }
    const values = this.labelNames.map((name) => {
      if (!(name in labels)) throw errors.missingLabel(this.metric, name);
      return labels[name];
    });
    return values.length === 0 ? this.fromValues(values) : this.bind(values);
  }

  private strings(values: readonly unknown[]): string[] {
    return values.map((v, i) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && !Number.isNaN(v)) return String(v);
      throw errors.invalidLabelValue(this.metric, this.labelNames[i], v);
    });
  }

  private bind(values: readonly unknown[]): C {
    const strings = this.strings(values);
    let handle: number;
    try {
      handle = native.bindSeries(this.familyId, strings);
    } catch (err) {
      throw fromNativeError(this.metric, err);
    }
    // Top-N folds this label set right now: the ranking may change, so nothing is cached.
    if (handle === FOLDED) return this.makeFoldedChild(strings);
    return this.keep(values, handle);
  }

  /** keep: caches the child of a binding, unless it folds into a shared series past FOLDED_CACHE_LIMIT. */
  private keep(values: readonly unknown[], bound: number): C {
    if (bound < FOLDED) return this.insert(values, bound, false, true) as C;
    const handle = bound - FOLDED;
    if (this.foldedCached >= FOLDED_CACHE_LIMIT) return this.makeChild(handle);
    this.foldedCached++;
    return this.insert(values, handle, true, true) as C;
  }

  /**
   * cached: the cached leaf of a label object holding exactly the family's label names (its child,
   * or with `leafHandles` possibly its handle), or undefined (no binding).
   */
  cached(labels: Partial<Labels>): C | number | undefined {
    if (this.labelNames.length === 0 || labels === null || typeof labels !== 'object') return undefined;
    return this.lookup(this.root, labels);
  }

  /**
   * bindAndRecord: the first sample of a label object not cached yet, in one native call that
   * binds the series and records the sample (a top-N-folded set is recorded and not cached).
   * Throws a coded error for bad labels.
   */
  bindAndRecord(labels: Partial<Labels>, value: number, set: boolean): void {
    const values = this.valuesOf(labels);
    const handle = native.bindAndRecord(this.familyId, thread, this.strings(values), value, set);
    if (handle === FOLDED) return;
    if (handle < FOLDED) this.insert(values, handle, false, false);
    else if (this.foldedCached < FOLDED_CACHE_LIMIT) {
      this.foldedCached++;
      this.insert(values, handle - FOLDED, true, false);
    }
  }

  /** insert: caches a binding: its child when one is needed now (or handles are not cached), else its handle. */
  private insert(values: readonly unknown[], handle: number, folded: boolean, child: boolean): C | number {
    const leaf = child || !this.leafHandles ? this.makeChild(handle) : handle;
    this.entries?.push({ path: [...values], folded });
    if (values.length > 0) insert(this.root, values, leaf);
    return leaf;
  }
}
