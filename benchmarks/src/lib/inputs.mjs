/**
 * inputs: the reproducible inputs every scenario shares.
 *
 * Values are log-uniform over the bucket range and 65,536 long: a short cycle (4,096) lets the
 * branch predictor learn the input and made a bucket scan look 3x faster (DESIGN.md).
 */

/** BUCKETS: the 20 upper bounds every histogram in the benchmarks uses (1 ms .. ~7.6 s, factor 1.6). */
export const BUCKETS = Array.from({ length: 20 }, (_, i) => Number((0.001 * 1.6 ** i).toPrecision(6)));

/** VALUE_COUNT: how many pre-generated values a run cycles through (a power of two, so `i & VALUE_MASK` indexes). */
export const VALUE_COUNT = 65_536;
export const VALUE_MASK = VALUE_COUNT - 1;

/** mulberry32: a small seeded PRNG, so every run and every library sees the same values. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** logUniformValues: `count` values log-uniform from half the first bound to twice the last (so +Inf is hit too). */
export function logUniformValues(count = VALUE_COUNT, seed = 20_240_601) {
  const random = mulberry32(seed);
  const lo = Math.log(BUCKETS[0] / 2);
  const hi = Math.log(BUCKETS[BUCKETS.length - 1] * 2);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = Math.exp(lo + (hi - lo) * random());
  return values;
}

/** labelValues: `n` distinct label-value tuples of `width` values each, shaped like real route/method/status labels. */
export function labelTuples(n, width) {
  const tuples = [];
  for (let i = 0; i < n; i++) {
    const t = [];
    for (let j = 0; j < width; j++) t.push(j === 0 ? `/api/v1/items/${i}` : `v${j}_${i % (j + 3)}`);
    tuples.push(t);
  }
  return tuples;
}

/** labelNames: `width` label names (l0, l1, ...). */
export function labelNames(width) {
  return Array.from({ length: width }, (_, j) => `l${j}`);
}

/** toObject: a label object for `names` and a value tuple. */
export function toObject(names, tuple) {
  return Object.fromEntries(names.map((n, i) => [n, tuple[i]]));
}
