/**
 * floor: the plain JS typed-array histogram every recording figure is compared with.
 *
 * A linear scan over the bounds (what prom-client does) into a Float64Array of bucket counts plus
 * a running sum and count: the least work a JS histogram can do, with nothing shared or exposed.
 */
export class FloorHistogram {
  constructor(bounds) {
    this.bounds = Float64Array.from(bounds);
    this.counts = new Float64Array(bounds.length + 1);
    this.sum = 0;
    this.count = 0;
  }

  observe(value) {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

/** FloorCounter: a Float64Array cell incremented in place. */
export class FloorCounter {
  constructor() {
    this.cell = new Float64Array(1);
  }

  inc() {
    this.cell[0]++;
  }
}
