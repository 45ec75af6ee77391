/**
 * counter: a counter family and its bound children.
 */
import { Metric } from './metric.js';
import type { Labels } from './labels.js';
import { native } from './native.js';
import { compileObjectForm } from './object-form.js';
import { CellSeries } from './cell-series.js';
import { DELTA_CELLS, deltas, record, thread } from './recorder.js';

/**
 * CounterChild: a counter series bound to one label set. `inc` adds into the series' delta cell of
 * this thread (a typed-array add; the core applies the cells on every flush, see recorder.ts), or
 * buffers a sample when the family ranks values by top-N (each sample counts for the ranking) or
 * the thread's cells are all taken.
 */
export class CounterChild extends CellSeries {
  /**
   * inc: adds `amount` (default 1); negative, NaN and ±Infinity amounts are dropped and counted.
   * A finite non-negative amount is one typed-array add; anything else takes the buffered path,
   * which counts the rejection. Measured (floor = a Float64Array cell in the same run, 3.3 ns,
   * loaded 2-core machine): user-code loops `c.inc()` 1.00-1.03x and `child.inc()` 0.99-1.23x the
   * floor in both builds; the recording scenario's `c.inc()` 1.03-1.14x in both builds once its
   * loops were warmed as whole functions (three full runs, load average 4-10; unwarmed, on-stack-
   * replacement code measured 1.0-1.9x); before, a buffered (handle, value) pair: 8.8 ns (2.68x).
   */
  inc(amount = 1): void {
    const cell = this.cell;
    if (cell >= 0 && amount >= 0 && amount < Infinity) deltas[cell] += amount;
    else record(this.handleValue, amount);
  }
}

/** FoldedCounterChild: a label set top-N folds right now; each increment is a napi call carrying its values. */
class FoldedCounterChild extends CounterChild {
  constructor(
    private readonly familyId: number,
    private readonly values: string[],
  ) {
    super(0, false);
  }

  override inc(amount = 1): void {
    native.recordFolded(this.familyId, thread, this.values, amount);
  }
}

/** Counter: a counter family; safe to use from any worker thread. */
export class Counter<L extends string = string> extends Metric<CounterChild, L> {
  protected makeChild(handle: number): CounterChild {
    return new CounterChild(handle, !this.ranked && DELTA_CELLS > 0);
  }

  protected makeFoldedChild(values: string[]): CounterChild {
    return new FoldedCounterChild(this.familyId, values);
  }

  /**
   * inc: `inc()`, `inc(5)`, `inc(labels)`, `inc(labels, 5)`, as in prom-client. A method of this
   * family's own (object-form.ts), so it also works detached. `inc(labels)` on a cached label set
   * walks the label cache and adds into the series' delta cell.
   */
  readonly inc: {
    (amount?: number): void;
    (labels: Labels<L>, amount?: number): void;
  } = compileObjectForm(this.familyId, 'inc', this.labelNames, this.binder, {
    other: (a, b) => {
      if (a === undefined || typeof a === 'number') (this.unlabelled ?? this.child(undefined))?.inc(a ?? 1);
      else this.recordFor(a as Labels<L>, b ?? 1, false);
    },
    // A counter's binder caches children, never bare handles (metric.ts).
    hit: (child, b) => (child as CounterChild).inc(b ?? 1),
    miss: (labels, b) => this.recordUncached(labels, b ?? 1, false),
  });
}
