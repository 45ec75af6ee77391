/**
 * options: the plugin's options, validated with zod through the framework's `parseOptions`, and
 * the defaults that depend on the thread the plugin is loaded in. The schema is built with the
 * framework's `z` (the zod/mini builders it bundles), not a bundled copy of zod of our own, which
 * retained about 0.15 MiB more heap at import (issue #17).
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { parseOptions, z } from '@metricore/framework';

/** PLUGIN_NAME: the plugin's name and every tap's name. */
export const PLUGIN_NAME = '@metricore/plugin-process';

/** GROUPS: the metric groups, in collection order. */
export const GROUPS = ['cpu', 'memory', 'fds', 'info', 'heap', 'gc', 'eventloop', 'resources'] as const;
/** Group: one group of metrics that can be switched on or off. */
export type Group = (typeof GROUPS)[number];
/** PROCESS_GROUPS: groups whose figures are process-wide (collected once per process, never per thread). */
export const PROCESS_GROUPS: readonly Group[] = ['cpu', 'memory', 'fds', 'info'];
/** THREAD_GROUPS: groups whose figures belong to one thread's isolate and event loop. */
export const THREAD_GROUPS: readonly Group[] = ['heap', 'gc', 'eventloop', 'resources'];

/** DEFAULT_GC_DURATION_BUCKETS: prom-client's GC buckets, so dashboards' `le` values keep working. */
export const DEFAULT_GC_DURATION_BUCKETS: readonly number[] = [0.001, 0.01, 0.1, 1, 2, 5];
/** DEFAULT_EVENT_LOOP_BUCKETS: event-loop delay bounds in seconds, from timer jitter to a blocked loop. */
export const DEFAULT_EVENT_LOOP_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const metricPrefix = z.string().check(z.regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a valid metric-name start ([a-zA-Z_:][a-zA-Z0-9_:]*)'));
const labelName = z
  .string()
  .check(
    z.regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'),
    z.refine((n) => !n.startsWith('__'), 'must not start with "__" (reserved)'),
  );
// zod 4 numbers are finite already (NaN and ±Infinity are rejected).
const buckets = z
  .array(z.number().check(z.positive()))
  .check(
    z.minLength(1),
    z.refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]), 'must increase strictly'),
  );

const schema = z.strictObject({
  prefix: z.optional(metricPrefix),
  groups: z.optional(z.array(z.enum(GROUPS))),
  gcDurationBuckets: z.optional(buckets),
  eventLoopResolutionMs: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(1000))),
  eventLoopBuckets: z.optional(buckets),
  threadLabel: z.optional(z.boolean()),
  threadName: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  collectIntervalMs: z.optional(z.number().check(z.int(), z.minimum(0))),
  children: z.optional(
    z.strictObject({
      labelNames: z.optional(z.array(labelName).check(z.refine((l) => new Set(l).size === l.length, 'must not repeat a label name'))),
    }),
  ),
  logger: z.optional(
    z.custom<ProcessLogger>((v) => typeof v === 'object' && v !== null && typeof (v as ProcessLogger).debug === 'function', 'expected an object with a debug(message) method'),
  ),
});

/** ProcessLogger: where the plugin reports dropped PIDs (debug level only). */
export interface ProcessLogger {
  debug(message: string, error?: unknown): void;
}

/** ProcessMetricsOptions: everything `processMetrics()` takes; every option is optional. */
export interface ProcessMetricsOptions {
  /** prefix: put before every metric name (prom-client's `prefix`). Default "". */
  prefix?: string;
  /** groups: which groups to collect. Default: all in the main thread; heap, gc, eventloop, resources in a worker thread. */
  groups?: Group[];
  /** gcDurationBuckets: bounds of `nodejs_gc_duration_seconds`. Default prom-client's [0.001, 0.01, 0.1, 1, 2, 5]. */
  gcDurationBuckets?: number[];
  /** eventLoopResolutionMs: how often the event-loop delay is sampled, in ms (1-1000). Default 10 (prom-client's precision). */
  eventLoopResolutionMs?: number;
  /** eventLoopBuckets: bounds of `nodejs_eventloop_delay_seconds`. Default 1 ms to 10 s. */
  eventLoopBuckets?: number[];
  /** threadLabel: add `thread` to per-thread families. Default true in a worker thread, false in the main thread. */
  threadLabel?: boolean;
  /** threadName: the `thread` label's value. Default "main" or "worker-<threadId>". */
  threadName?: string;
  /** collectIntervalMs: also collect on a timer (0 = only at scrape). Default 1000 in a worker thread, 0 in the main thread. */
  collectIntervalMs?: number;
  /** children: turns on the child-process metrics; `labelNames` are the labels `watchPid` takes. */
  children?: { labelNames?: string[] };
  /**
   * logger: receives debug messages about dropped PIDs. Default: the host's `logger` when it was
   * given one with a `debug` method, else `util.debuglog('metricore')` (NODE_DEBUG=metricore).
   */
  logger?: ProcessLogger;
}

/** ResolvedOptions: options with every default filled in. */
export interface ResolvedOptions {
  prefix: string;
  groups: ReadonlySet<Group>;
  gcDurationBuckets: readonly number[];
  eventLoopResolutionMs: number;
  eventLoopBuckets: readonly number[];
  threadLabel: boolean;
  threadName: string;
  collectIntervalMs: number;
  children: { labelNames: readonly string[] } | undefined;
  logger: ProcessLogger | undefined;
}

/** resolveOptions: validates `input` (throws METRICORE_INVALID_OPTION naming the option) and fills defaults. */
export function resolveOptions(input: ProcessMetricsOptions = {}): ResolvedOptions {
  const o = parseOptions(schema, input, PLUGIN_NAME);
  const inWorker = !isMainThread;
  return {
    prefix: o.prefix ?? '',
    groups: new Set(o.groups ?? (inWorker ? THREAD_GROUPS : GROUPS)),
    gcDurationBuckets: o.gcDurationBuckets ?? DEFAULT_GC_DURATION_BUCKETS,
    eventLoopResolutionMs: o.eventLoopResolutionMs ?? 10,
    eventLoopBuckets: o.eventLoopBuckets ?? DEFAULT_EVENT_LOOP_BUCKETS,
    threadLabel: o.threadLabel ?? inWorker,
    threadName: o.threadName ?? (inWorker ? `worker-${threadId}` : 'main'),
    collectIntervalMs: o.collectIntervalMs ?? (inWorker ? 1000 : 0),
    children: o.children === undefined ? undefined : { labelNames: o.children.labelNames ?? [] },
    logger: o.logger,
  };
}
