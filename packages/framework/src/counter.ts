/**
 * counter: a counter family and its bound children.
 */
import { Metric } from './metric.js';
import type { Labels } from './labels.js';
import { record } from './recorder.js';

/** CounterChild: a counter series bound to one label set. `inc` costs a buffer append. */
export class CounterChild {
  constructor(readonly handle: number) {}

  /** inc: adds `amount` (default 1); negative, NaN and ±Infinity amounts are dropped and counted. */
  inc(amount = 1): void {
    record(this.handle, amount);
  }
}

/** Counter: a counter family; safe to use from any worker thread. */
export class Counter<L extends string = string> extends Metric<CounterChild, L> {
  protected makeChild(handle: number): CounterChild {
    return new CounterChild(handle);
  }

  /** inc: `inc()`, `inc(5)`, `inc(labels)`, `inc(labels, 5)`, as in prom-client. */
  inc(amount?: number): void;
  inc(labels: Labels<L>, amount?: number): void;
  inc(a?: number | Labels<L>, b?: number): void {
    if (a === undefined || typeof a === 'number') this.child(undefined)?.inc(a ?? 1);
    else this.child(a)?.inc(b ?? 1);
  }
}
