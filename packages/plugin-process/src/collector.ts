/**
 * collector: what every metric group implements, and the context it is built with.
 */
import { ErrorCode, MetricoreTypeError, type MetricsHost } from '@metricore/framework';
import type { ResolvedOptions } from './options.js';

/** Collector: one group's scrape-time work. `collect` may be async; `close` stops timers and observers and removes the series of this thread (or of this instance's child processes). */
export interface Collector {
  collect(): void | Promise<void>;
  close?(): void;
}

/** CollectorContext: what a group needs to define and fill its families. */
export interface CollectorContext {
  readonly host: MetricsHost;
  readonly options: ResolvedOptions;
  /** threadLabelNames: `['thread']` when per-thread families carry the thread label, else `[]`. */
  readonly threadLabelNames: readonly string[];
  /** threadLabels: `{ thread: name }` or `{}`, to spread into per-thread label sets. */
  readonly threadLabels: Readonly<Record<string, string>>;
  /** name: the option prefix put before `base`. */
  name(base: string): string;
  /** debug: a debug-level message (dropped PIDs and the like). */
  debug(message: string, error?: unknown): void;
}

/**
 * perThread: defines a per-thread family; a clash over the `thread` label (the main thread defined it
 * without, a worker with it, or the other way round) gets an error that says which option to set.
 */
export function perThread<T>(ctx: CollectorContext, define: () => T): T {
  try {
    return define();
  } catch (error) {
    if ((error as { code?: string }).code !== ErrorCode.FAMILY_CLASH) throw error;
    const fix = ctx.options.threadLabel
      ? 'another thread loaded this plugin without the thread label; pass { threadLabel: true } to processMetrics() in every thread that shares this registry'
      : 'another thread loaded this plugin with the thread label; pass { threadLabel: true } to processMetrics() here too';
    throw new MetricoreTypeError(ErrorCode.FAMILY_CLASH, `${(error as Error).message}; ${fix}`);
  }
}
