/**
 * misuse: the reasons a transfer or job handle was used wrongly, counted in `worker_handle_misuse_total`
 * instead of thrown (handles are used on request paths, where a throw would cost a request).
 */

/** MISUSE_REASONS: every reason `worker_handle_misuse_total{reason}` can carry. */
export const MISUSE_REASONS = [
  /** `end()` or `abort()` on a transfer that had already ended: ignored, its first end counts. */
  'transfer_ended_twice',
  /** `chunk()` after the transfer ended: the bytes are still counted in `worker_transfer_bytes_total`. */
  'chunk_after_end',
  /** `end(outcome)` with an outcome outside ok, failed, aborted: recorded as `failed`. */
  'invalid_outcome',
  /** A transfer handle garbage-collected without `end()`: recorded as `aborted` when the collector finds it. */
  'transfer_never_ended',
  /** `end()` on a job that had already ended: ignored, its slot was freed once. */
  'job_ended_twice',
] as const;

/** MisuseReason: one of MISUSE_REASONS. */
export type MisuseReason = (typeof MISUSE_REASONS)[number];
