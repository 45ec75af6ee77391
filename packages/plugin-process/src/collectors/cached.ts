/**
 * cached: limits (max fds, memory limit) change almost never, so they are re-read at most once a
 * minute instead of on every scrape.
 */

/** LIMITS_REFRESH_MS: how long a read limit is reused. */
export const LIMITS_REFRESH_MS = 60_000;

/** cachedFor: `read`, re-run at most every `ms`; concurrent callers share one read; a failed read is not kept. */
export function cachedFor<T>(ms: number, read: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  let readAt = 0;
  return () => {
    const now = performance.now();
    if (value === undefined || now - readAt > ms) {
      readAt = now;
      value = read();
      value.catch(() => (value = undefined));
    }
    return value;
  };
}
