/**
 * delta: turns absolute values read from a database into increments of a gauge or counter, so the
 * host's label policy can fold tenant labels without losing anything: a folded series receives the
 * sum of its members' increments, where setting it would keep only the last member's value.
 */
import type { Counter, Gauge } from '@metricore/framework';

type Labels = Record<string, string>;

/**
 * DeltaGauge: `update(rows)` moves each label set's series to its new value by adding the difference;
 * label sets that vanished go back to 0. Costs one buffered increment per changed label set.
 */
export class DeltaGauge {
  private last = new Map<string, { labels: Labels; value: number }>();

  constructor(private readonly gauge: Gauge) {}

  /** update: the new values of every label set (label sets missing here are now 0). */
  update(values: Iterable<[Labels, number]>): void {
    const next = new Map<string, { labels: Labels; value: number }>();
    for (const [labels, value] of values) {
      const key = keyOf(labels);
      const seen = next.get(key);
      next.set(key, { labels, value: (seen?.value ?? 0) + value });
    }
    for (const [key, { labels, value }] of next) {
      const old = this.last.get(key)?.value ?? 0;
      if (value !== old || !this.last.has(key)) this.gauge.inc(labels, value - old);
    }
    for (const [key, { labels, value }] of this.last) if (!next.has(key) && value !== 0) this.gauge.inc(labels, -value);
    this.last = next;
  }

  /** clear: removes every series of the gauge (its query failed) and forgets the values. */
  clear(): void {
    this.gauge.reset();
    this.last.clear();
  }
}

/**
 * DeltaCounter: `update(rows)` adds each label set's increase since the last update. A total that
 * went down (rows deleted from the table) lowers the baseline without lowering the counter, so
 * `rate()` never sees a negative step from retention.
 */
export class DeltaCounter {
  private last = new Map<string, number>();

  constructor(private readonly counter: Counter) {}

  /** update: the new totals of the label sets read. */
  update(values: Iterable<[Labels, number]>): void {
    const next = new Map<string, { labels: Labels; value: number }>();
    for (const [labels, value] of values) {
      const key = keyOf(labels);
      next.set(key, { labels, value: (next.get(key)?.value ?? 0) + value });
    }
    for (const [key, { labels, value }] of next) {
      const old = this.last.get(key);
      if (old === undefined) this.counter.inc(labels, value);
      else if (value > old) this.counter.inc(labels, value - old);
      this.last.set(key, value);
    }
  }

  /** clear: removes every series of the counter (its query failed); the next update starts it again from the totals. */
  clear(): void {
    this.counter.reset();
    this.last.clear();
  }
}

function keyOf(labels: Labels): string {
  return JSON.stringify(labels);
}
