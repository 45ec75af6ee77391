/**
 * stats: medians and ranges of repeated measurements.
 */

/** summarize: median, min and max of a list of numbers (≥ 1), plus the samples themselves. */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** ratio: a / b rounded for display, or null when either is missing. */
export function ratio(a, b) {
  if (a == null || b == null || b === 0) return null;
  return a / b;
}
