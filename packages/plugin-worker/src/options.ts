/**
 * options: the plugin's options, validated with zod through the framework's `parseOptions`, and
 * the default buckets and label rules.
 */
import { exponentialBuckets, parseOptions, type LabelRule } from '@metricore/framework';
import { z } from 'zod';

/** PLUGIN_NAME: the plugin's name and every tap's name, equal to the package name. */
export const PLUGIN_NAME = '@metricore/plugin-worker';

/** DIRECTIONS: `pull` moves an artifact to this worker, `push` moves one away from it. */
export const DIRECTIONS = ['pull', 'push'] as const;
/** Direction: one of DIRECTIONS. */
export type Direction = (typeof DIRECTIONS)[number];
/** TRANSPORTS: straight to the peer, through a relay (the server), or through an object store. */
export const TRANSPORTS = ['direct', 'relay', 'object_store'] as const;
/** Transport: one of TRANSPORTS. */
export type Transport = (typeof TRANSPORTS)[number];
/** OUTCOMES: how a transfer ended. */
export const OUTCOMES = ['ok', 'failed', 'aborted'] as const;
/** Outcome: one of OUTCOMES. */
export type Outcome = (typeof OUTCOMES)[number];

/** DEFAULT_SIZE_BUCKETS: transfer sizes from 1 KiB to 1 GiB, factor 4 (Nix archives of up to hundreds of MiB). */
export const DEFAULT_SIZE_BUCKETS: readonly number[] = Object.freeze(exponentialBuckets(1024, 4, 11));
/** DEFAULT_DURATION_BUCKETS: transfer durations from 5 ms to ~11 min, factor 2. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze(exponentialBuckets(0.005, 2, 18));
/** DEFAULT_CHUNK_BUCKETS: time between two chunks of one transfer, from 0.5 ms to ~8 s, factor 2. */
export const DEFAULT_CHUNK_BUCKETS: readonly number[] = Object.freeze(exponentialBuckets(0.0005, 2, 15));
/** DEFAULT_QUEUE_WAIT_BUCKETS: queue wait from 100 ms to ~55 min, factor 2. */
export const DEFAULT_QUEUE_WAIT_BUCKETS: readonly number[] = Object.freeze(exponentialBuckets(0.1, 2, 16));
/** DEFAULT_LABEL_POLICY: the 16 peers that move the most bytes keep their own series; `org` follows the host's rule. */
export const DEFAULT_LABEL_POLICY: Readonly<WorkerLabelPolicy> = Object.freeze({ peer: Object.freeze({ topN: 16 }) });

/** ProcessWatcher: what the worker needs from `@metricore/plugin-process`'s plugin (its `watchPid`). */
export interface ProcessWatcher {
  watchPid(pid: number, labels?: Readonly<Record<string, string | number>>): () => void;
}

/** WorkerLabelPolicy: family-level label rules for the worker's `peer` and `org` labels. */
export interface WorkerLabelPolicy {
  /** peer: the rule for `peer` (another worker's id, or "server"). */
  peer?: LabelRule;
  /** org: the rule for `org` (the job's organisation). */
  org?: LabelRule;
}

const buckets = z
  .array(z.number().finite().positive())
  .min(1)
  .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]), 'must increase strictly');
// The rule itself is checked by the host when the families are defined (with its own coded error).
const rule = z.record(z.string(), z.unknown());

const schema = z
  .object({
    slots: z.number().int().min(0).optional(),
    sizeBuckets: buckets.optional(),
    durationBuckets: buckets.optional(),
    chunkBuckets: buckets.optional(),
    queueWaitBuckets: buckets.optional(),
    labelPolicy: z.object({ peer: rule.optional(), org: rule.optional() }).strict().optional(),
    processes: z
      .custom<ProcessWatcher>((v) => typeof v === 'object' && v !== null && typeof (v as ProcessWatcher).watchPid === 'function', 'expected the plugin returned by processMetrics({ children: { labelNames: ["org"] } })')
      .optional(),
  })
  .strict();

/** WorkerMetricsOptions: everything `workerMetrics()` takes; every option is optional. */
export interface WorkerMetricsOptions {
  /** slots: how many builds this worker runs at once (`worker_build_slots_max`); change it later with `setSlots`. Default 1. */
  slots?: number;
  /** sizeBuckets: bounds of `worker_transfer_size_bytes`. Default DEFAULT_SIZE_BUCKETS (1 KiB .. 1 GiB). */
  sizeBuckets?: number[];
  /** durationBuckets: bounds of `worker_transfer_duration_seconds`. Default DEFAULT_DURATION_BUCKETS (5 ms .. 11 min). */
  durationBuckets?: number[];
  /** chunkBuckets: bounds of `worker_transfer_chunk_seconds`. Default DEFAULT_CHUNK_BUCKETS (0.5 ms .. 8 s). */
  chunkBuckets?: number[];
  /** queueWaitBuckets: bounds of `worker_job_queue_wait_seconds`. Default DEFAULT_QUEUE_WAIT_BUCKETS (0.1 s .. 55 min). */
  queueWaitBuckets?: number[];
  /**
   * labelPolicy: family-level rules for `peer` and `org` on the worker's families; a label named here
   * no longer follows the host's rule for it. Default DEFAULT_LABEL_POLICY (`peer: { topN: 16 }`; `org`
   * follows the host's rule). Pass `{}` to let the host's rules govern both.
   */
  labelPolicy?: WorkerLabelPolicy;
  /**
   * processes: the `@metricore/plugin-process` plugin of the same host, made with
   * `children: { labelNames: ['org'] }`; `job.watchProcess(pid)` then reports the build's processes
   * under the job's org. Default none (watchProcess throws).
   */
  processes?: ProcessWatcher;
}

/** ResolvedOptions: options with every default filled in. */
export interface ResolvedOptions {
  slots: number;
  sizeBuckets: readonly number[];
  durationBuckets: readonly number[];
  chunkBuckets: readonly number[];
  queueWaitBuckets: readonly number[];
  labelPolicy: WorkerLabelPolicy;
  processes: ProcessWatcher | undefined;
}

/** resolveOptions: validates `input` (throws METRICORE_INVALID_OPTION naming the option) and fills defaults. */
export function resolveOptions(input: WorkerMetricsOptions = {}): ResolvedOptions {
  const o = parseOptions(schema, input, PLUGIN_NAME);
  return {
    slots: o.slots ?? 1,
    sizeBuckets: o.sizeBuckets ?? DEFAULT_SIZE_BUCKETS,
    durationBuckets: o.durationBuckets ?? DEFAULT_DURATION_BUCKETS,
    chunkBuckets: o.chunkBuckets ?? DEFAULT_CHUNK_BUCKETS,
    queueWaitBuckets: o.queueWaitBuckets ?? DEFAULT_QUEUE_WAIT_BUCKETS,
    labelPolicy: (o.labelPolicy as WorkerLabelPolicy | undefined) ?? DEFAULT_LABEL_POLICY,
    processes: o.processes,
  };
}
