/**
 * metric: what counters, gauges and histograms share: definition, native family, label binding.
 */
import type { FullDefinition } from './definition.js';
import { fromNativeError } from './errors.js';
import { LabelBinder, type BoundChild, type Labels } from './labels.js';
import { native } from './native.js';
import { flushRecorded, record, SET_FLAG, startRecorder } from './recorder.js';
import type { NativeLimits } from './policy.js';

/** Metric: the base of Counter, Gauge and Histogram. */
export abstract class Metric<C extends BoundChild = BoundChild, L extends string = string> {
  /** name: the metric name. */
  readonly name: string;
  /** help: the HELP text. */
  readonly help: string;
  /** labelNames: label names in positional order. */
  readonly labelNames: readonly L[];
  /** familyId: the native family id (stable for the process). */
  readonly familyId: number;
  protected readonly binder: LabelBinder<C>;
  /** ranked: a label rule ranks values by top-N, so every sample must reach the core on its own (its activity counts). */
  protected readonly ranked: boolean;
  /** The unlabelled child, cached here for the recording methods; dropped with the binder's (after a reset, remove or eviction its cell was given back). */
  protected unlabelled: C | undefined;

  constructor(
    readonly definition: FullDefinition,
    registry: string,
    limits?: NativeLimits,
  ) {
    this.name = definition.name;
    this.help = definition.help;
    this.labelNames = definition.labelNames as L[];
    startRecorder();
    try {
      this.familyId = native.defineFamily({
        registry,
        kind: definition.kind,
        name: definition.name,
        help: definition.help,
        unit: definition.unit,
        labelNames: definition.labelNames,
        buckets: definition.kind === 'histogram' ? definition.buckets : undefined,
        ...limits,
      });
    } catch (err) {
      throw fromNativeError(definition.name, err);
    }
    this.ranked = limits?.labelRules?.some((r) => r.topN !== undefined) ?? false;
    this.binder = new LabelBinder(
      this.name,
      this.familyId,
      this.labelNames,
      (handle) => this.makeChild(handle),
      (values) => this.makeFoldedChild(values),
      // Caches to prune after each upkeep: evicted series (TTL), demoted top-N values.
      definition.ttlMs !== undefined || this.ranked,
      // Counters and gauges cache children (their object forms add into the child's delta cell), histograms handles.
      definition.kind === 'histogram',
    );
    this.binder.onUnlabelledDropped = () => {
      this.unlabelled = undefined;
    };
  }

  protected abstract makeChild(handle: number): C;
  /** A child for a label set top-N folds right now: not cached, each sample goes to the core with its values. */
  protected abstract makeFoldedChild(values: string[]): C;

  /** prune: drops cached children of evicted series and follows revived ones (hosts call it after each upkeep). */
  prune(): void {
    this.binder.prune();
  }

  /** labels: the cached child for a label object or positional values. Throws a coded error on bad labels. */
  labels(labels: Labels<L>): C;
  labels(...values: Array<string | number>): C;
  labels(...args: unknown[]): C {
    const first = args[0];
    if (args.length === 1 && first !== null && typeof first === 'object') return this.binder.fromObject(first as Labels);
    return this.binder.fromValues(args);
  }

  /**
   * recordFor: one sample for a label object, the path behind `observe(labels, v)`, `inc(labels, n)`
   * and `set(labels, v)`: a cached series costs the label lookup and a buffered append; the first
   * sample of a label set (and every sample while top-N folds it) is one native call that binds
   * and records together. Never throws: bad labels are counted and dropped.
   */
  protected recordFor(labels: Labels<L>, value: number, set: boolean): void {
    const leaf = this.binder.cached(labels);
    if (leaf === undefined) this.recordUncached(labels, value, set);
    else this.recordLeaf(leaf, value, set);
  }

  /**
   * recordLeaf: a sample for a cached leaf: a handle when only the object form was used
   * (histograms), else the child. Gauges never come here with a child: a buffered sample is applied
   * before the writes pending in the child's delta cell, whatever their order (gauge.ts).
   * Against the child-only cache before it (whole processes
   * interleaved, 20 pairs, load average 2-4, every form in one process): observe(labels, v) with a
   * handle leaf 0.98x, with a child leaf 0.98x, gauge set(labels, v) 1.00x, inc(labels) 0.98x,
   * labels() child 0.99x.
   */
  protected recordLeaf(leaf: C | number, value: number, set: boolean): void {
    const handle = typeof leaf === 'number' ? leaf : leaf.handle;
    record(set ? handle + SET_FLAG : handle, value);
  }

  /** recordUncached: the first sample of a label set, one native call that binds and records; bad labels are counted and dropped. */
  protected recordUncached(labels: unknown, value: number, set: boolean): void {
    try {
      this.binder.bindAndRecord(labels as Labels, value, set);
    } catch {
      native.countRejected(this.familyId, 'invalid_labels');
    }
  }

  /** child: the unlabelled child, or the child for `labels`; never throws (bad labels are counted and dropped). */
  protected child(labels: Partial<Labels<L>> | undefined): C | undefined {
    try {
      if (labels === undefined) return (this.unlabelled ??= this.binder.fromValues([]));
      return this.binder.fromObject(labels);
    } catch {
      native.countRejected(this.familyId, 'invalid_labels');
      return undefined;
    }
  }

  /**
   * remove: takes the series of a label set out of the exposition (prom-client's `remove`), e.g. a
   * build process that exited. Recording into it again, even through a child held elsewhere,
   * brings it back from zero. Returns whether the series existed. Throws for bad labels.
   */
  remove(labels: Labels<L>): boolean;
  remove(...values: Array<string | number>): boolean;
  remove(...args: unknown[]): boolean {
    const first = args[0];
    const values = args.length === 1 && first !== null && typeof first === 'object' ? this.binder.valuesOf(first as Labels) : this.binder.checkValues(args);
    this.binder.forget(values);
    flushRecorded();
    return native.removeSeries(this.familyId, values.map(String));
  }

  /** reset: removes every series of the family (prom-client's `reset`). */
  reset(): void {
    this.binder.clear();
    flushRecorded();
    native.clearFamily(this.familyId);
  }
}
