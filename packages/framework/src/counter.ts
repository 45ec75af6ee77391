/**
 * counter: a counter family and its bound children.
 */
import { Metric } from './metric.js';
import type { Labels } from './labels.js';
import { native } from './native.js';
import { record, thread } from './recorder.js';

/** CounterChild: a counter series bound to one label set. `inc` costs a buffer append. */
export class CounterChild {
  constructor(public handle: number) {}

  /** inc: adds `amount` (default 1); negative, NaN and ±Infinity amounts are dropped and counted. */
  inc(amount = 1): void {
    record(this.handle, amount);
  }
}

/** FoldedCounterChild: a label set top-N folds right now; each increment is a napi call carrying its values. */
class FoldedCounterChild extends CounterChild {
  constructor(
    private readonly familyId: number,
    private readonly values: string[],
  ) {
    super(0);
  }

  override inc(amount = 1): void {
    native.recordFolded(this.familyId, thread, this.values, amount);
  }
}

/** Counter: a counter family; safe to use from any worker thread. */
export class Counter<L extends string = string> extends Metric<CounterChild, L> {
  protected makeChild(handle: number): CounterChild {
    return new CounterChild(handle);
  }

  protected makeFoldedChild(values: string[]): CounterChild {
    return new FoldedCounterChild(this.familyId, values);
  }

  /** inc: `inc()`, `inc(5)`, `inc(labels)`, `inc(labels, 5)`, as in prom-client. */
  inc(amount?: number): void;
  inc(labels: Labels<L>, amount?: number): void;
  inc(a?: number | Labels<L>, b?: number): void {
    if (a === undefined || typeof a === 'number') this.child(undefined)?.inc(a ?? 1);
    else this.recordFor(a, b ?? 1, false);
  }
}
