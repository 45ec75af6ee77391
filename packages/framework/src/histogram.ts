/**
 * histogram: a histogram family and its bound children.
 */
import { now } from './clock.js';
import { Metric } from './metric.js';
import type { Labels } from './labels.js';
import { native } from './native.js';
import { compileObjectForm } from './object-form.js';
import { record, thread } from './recorder.js';

/** HistogramChild: a histogram series bound to one label set. `observe` costs a buffer append. */
export class HistogramChild {
  constructor(public handle: number) {}

  /** observe: records `value`; NaN and ±Infinity are dropped and counted, never thrown. */
  observe(value: number): void {
    record(this.handle, value);
  }

  /** startTimer: returns a function that observes the seconds elapsed (monotonic clock) and returns them. */
  startTimer(): () => number {
    const start = now();
    return () => {
      const seconds = (now() - start) / 1000;
      record(this.handle, seconds);
      return seconds;
    };
  }
}

/** FoldedHistogramChild: a label set top-N folds right now; each observation is a napi call carrying its values. */
class FoldedHistogramChild extends HistogramChild {
  constructor(
    private readonly familyId: number,
    private readonly values: string[],
  ) {
    super(0);
  }

  override observe(value: number): void {
    native.recordFolded(this.familyId, thread, this.values, value);
  }

  override startTimer(): () => number {
    const start = now();
    return () => {
      const seconds = (now() - start) / 1000;
      this.observe(seconds);
      return seconds;
    };
  }
}

/** Histogram: a histogram family; safe to use from any worker thread (families are process-wide). */
export class Histogram<L extends string = string> extends Metric<HistogramChild, L> {
  /** buckets: the upper bounds, without `+Inf`. */
  get buckets(): readonly number[] {
    return this.definition.buckets;
  }

  protected makeChild(handle: number): HistogramChild {
    return new HistogramChild(handle);
  }

  protected makeFoldedChild(values: string[]): HistogramChild {
    return new FoldedHistogramChild(this.familyId, values);
  }

  /**
   * observe: records into the unlabelled series, or the series of `labels`. Bad labels are counted
   * and dropped. A method of this family's own (object-form.ts), so it also works detached.
   */
  readonly observe: {
    (value: number): void;
    (labels: Labels<L>, value: number): void;
  } = compileObjectForm(this.familyId, 'observe', this.labelNames, this.binder, {
    other: (a, b) => {
      if (typeof a === 'number') this.child(undefined)?.observe(a);
      else this.recordFor(a as Labels<L>, b as number, false);
    },
    hit: (leaf, b) => this.recordLeaf(leaf as HistogramChild | number, b as number, false),
    miss: (labels, b) => this.recordUncached(labels, b as number, false),
  });

  /** startTimer: starts a timer; the returned function observes the elapsed seconds (labels may be added at the end). */
  startTimer(labels?: Partial<Labels<L>>): (endLabels?: Partial<Labels<L>>) => number {
    const start = now();
    return (endLabels?: Partial<Labels<L>>) => {
      const seconds = (now() - start) / 1000;
      const merged = endLabels === undefined ? labels : { ...labels, ...endLabels };
      this.child(merged)?.observe(seconds);
      return seconds;
    };
  }
}
