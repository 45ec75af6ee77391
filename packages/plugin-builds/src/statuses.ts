/**
 * statuses: the build and evaluation statuses of the CI server, split into terminal ones (counted
 * once, in counters) and non-terminal ones (a count in state, in gauges).
 */

/** BUILD_STATUSES: every build status the CI server's `build.status` column holds. */
export const BUILD_STATUSES = [
  'created',
  'queued',
  'building',
  'completed',
  'substituted',
  'failed_permanent',
  'failed_transient',
  'failed_timeout',
  'dependency_failed',
  'aborted',
] as const;
/** BuildStatus: one of BUILD_STATUSES. */
export type BuildStatus = (typeof BUILD_STATUSES)[number];
/** BUILD_TERMINAL: build statuses a build ends in. */
export const BUILD_TERMINAL: ReadonlySet<string> = new Set<BuildStatus>([
  'completed',
  'substituted',
  'failed_permanent',
  'failed_transient',
  'failed_timeout',
  'dependency_failed',
  'aborted',
]);

/** EVALUATION_STATUSES: every evaluation status the CI server's `evaluation.status` column holds. */
export const EVALUATION_STATUSES = [
  'queued',
  'fetching',
  'evaluating_flake',
  'evaluating_derivation',
  'building',
  'waiting',
  'completed',
  'failed',
  'aborted',
] as const;
/** EvaluationStatus: one of EVALUATION_STATUSES. */
export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number];
/** EVALUATION_TERMINAL: evaluation statuses an evaluation ends in. */
export const EVALUATION_TERMINAL: ReadonlySet<string> = new Set<EvaluationStatus>(['completed', 'failed', 'aborted']);
