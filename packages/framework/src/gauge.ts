/**
 * gauge: a gauge family and its bound children.
 */
import { ErrorCode, MetricoreError } from './errors.js';
import { Metric } from './metric.js';
import type { Labels } from './labels.js';
import { compileObjectForm } from './object-form.js';
import { record, SET_FLAG } from './recorder.js';

/** GaugeChild: a gauge series bound to one label set. Each call costs a buffer append. */
export class GaugeChild {
  constructor(public handle: number) {}

  /** set: sets the value; NaN and ±Infinity are dropped and counted. */
  set(value: number): void {
    record(this.handle + SET_FLAG, value);
  }

  /** inc: adds `amount` (default 1). */
  inc(amount = 1): void {
    record(this.handle, amount);
  }

  /** dec: subtracts `amount` (default 1). */
  dec(amount = 1): void {
    record(this.handle, -amount);
  }

  /** setToCurrentTime: sets the value to the current Unix time in seconds. */
  setToCurrentTime(): void {
    this.set(Date.now() / 1000);
  }

  /** startTimer: returns a function that sets the gauge to the seconds elapsed and returns them. */
  startTimer(): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      this.set(seconds);
      return seconds;
    };
  }
}

/** Gauge: a gauge family; last write wins across threads. */
export class Gauge<L extends string = string> extends Metric<GaugeChild, L> {
  protected makeChild(handle: number): GaugeChild {
    return new GaugeChild(handle);
  }

  protected makeFoldedChild(): GaugeChild {
    // Gauges cannot use top-N (checked at definition), so the core never folds them this way.
    throw new MetricoreError(ErrorCode.NATIVE_ERROR, `metric "${this.name}": a gauge binding came back folded by top-N, which gauges cannot use; please report it`);
  }

  // set, inc and dec are methods of this family's own (object-form.ts), so they also work detached.

  /** set: `set(v)` or `set(labels, v)`. */
  readonly set: {
    (value: number): void;
    (labels: Labels<L>, value: number): void;
  } = compileObjectForm(this.familyId, 'set', this.labelNames, this.binder, {
    other: (a, b) => {
      if (typeof a === 'number') this.child(undefined)?.set(a);
      else this.recordFor(a as Labels<L>, b as number, true);
    },
    hit: (leaf, b) => this.recordLeaf(leaf as GaugeChild | number, b as number, true),
    miss: (labels, b) => this.recordUncached(labels, b as number, true),
  });

  /** inc: `inc()`, `inc(5)`, `inc(labels)`, `inc(labels, 5)`. */
  readonly inc: {
    (amount?: number): void;
    (labels: Labels<L>, amount?: number): void;
  } = compileObjectForm(this.familyId, 'inc', this.labelNames, this.binder, {
    other: (a, b) => {
      if (a === undefined || typeof a === 'number') this.child(undefined)?.inc(a ?? 1);
      else this.recordFor(a as Labels<L>, b ?? 1, false);
    },
    hit: (leaf, b) => this.recordLeaf(leaf as GaugeChild | number, b ?? 1, false),
    miss: (labels, b) => this.recordUncached(labels, b ?? 1, false),
  });

  /** dec: `dec()`, `dec(5)`, `dec(labels)`, `dec(labels, 5)`. */
  readonly dec: {
    (amount?: number): void;
    (labels: Labels<L>, amount?: number): void;
  } = compileObjectForm(this.familyId, 'dec', this.labelNames, this.binder, {
    other: (a, b) => {
      if (a === undefined || typeof a === 'number') this.child(undefined)?.dec(a ?? 1);
      else this.recordFor(a as Labels<L>, -(b ?? 1), false);
    },
    hit: (leaf, b) => this.recordLeaf(leaf as GaugeChild | number, -(b ?? 1), false),
    miss: (labels, b) => this.recordUncached(labels, -(b ?? 1), false),
  });

  /** setToCurrentTime: sets the value to the current Unix time in seconds. */
  setToCurrentTime(labels?: Labels<L>): void {
    this.child(labels)?.setToCurrentTime();
  }

  /** startTimer: the returned function sets the gauge to the elapsed seconds. */
  startTimer(labels?: Partial<Labels<L>>): (endLabels?: Partial<Labels<L>>) => number {
    const start = performance.now();
    return (endLabels?: Partial<Labels<L>>) => {
      const seconds = (performance.now() - start) / 1000;
      this.child(endLabels === undefined ? labels : { ...labels, ...endLabels })?.set(seconds);
      return seconds;
    };
  }
}
