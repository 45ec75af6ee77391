/**
 * buckets: bucket-bound helpers (computed and checked in the native core).
 */
import { MetricoreRangeError, ErrorCode } from './errors.js';
import { native } from './native.js';

function call(f: () => number[]): number[] {
  try {
    return f();
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/^metric "\(buckets\)": /, '') : String(err);
    throw new MetricoreRangeError(ErrorCode.INVALID_BUCKETS, message);
  }
}

/** exponentialBuckets: `count` bounds from `start`, each `factor` times the last (1 s to ~1 h: `(1, 2, 13)`). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return call(() => native.exponentialBuckets(start, factor, count));
}

/** linearBuckets: `count` bounds from `start`, `width` apart. */
export function linearBuckets(start: number, width: number, count: number): number[] {
  return call(() => native.linearBuckets(start, width, count));
}
