// The CI farm's own metric families, defined the same way in the API server and in every build
// worker thread (families are process-wide per registry, so the threads share their storage).
import { exponentialBuckets } from '@metricore/framework';

export const REGISTRY = 'ci-farm';

// Tenants: the 5 busiest orgs get their own series, caches are opt-in, projects are aggregated away.
export const LABEL_POLICY = {
  org: { topN: 5 },
  cache: { allow: ['main', 'nixpkgs'] },
  project: { drop: true },
};

/** defineFarmMetrics: the families one host needs; cheap to call in each thread. */
export function defineFarmMetrics(host) {
  const hour = exponentialBuckets(1, 2, 13); // 1 s .. 4096 s
  return {
    builds: host.counter({ name: 'builds_total', help: 'Builds finished, by org and status.', labelNames: ['org', 'project', 'status'] }),
    buildSeconds: host.histogram({
      name: 'build_duration_seconds',
      help: 'Build duration from start to finish.',
      labelNames: ['org', 'project', 'system'],
      buckets: hour,
      unit: 'seconds',
    }),
    evalSeconds: host.histogram({
      name: 'evaluation_duration_seconds',
      help: 'Evaluation duration (updated_at - created_at).',
      labelNames: ['org', 'project'],
      buckets: hour,
      unit: 'seconds',
    }),
    queueDepth: host.gauge({ name: 'scheduler_queue_depth', help: 'Builds waiting for a slot.' }),
    queueWait: host.histogram({
      name: 'build_queue_wait_seconds',
      help: 'Time a build waited for a worker slot.',
      buckets: exponentialBuckets(0.1, 2, 12),
      unit: 'seconds',
    }),
    slotsBusy: host.gauge({ name: 'worker_build_slots_busy', help: 'Build slots in use.', labelNames: ['worker'] }),
    slotsMax: host.gauge({ name: 'worker_build_slots_max', help: 'Build slots configured (max_concurrent_builds).', labelNames: ['worker'] }),
    transferBytes: host.counter({
      name: 'artifact_transfer_bytes_total',
      help: 'Artifact bytes moved between workers and caches.',
      labelNames: ['org', 'cache', 'direction'],
      unit: 'bytes',
    }),
    transfers: host.counter({ name: 'artifact_transfers_total', help: 'Artifact transfer requests.', labelNames: ['cache', 'direction', 'outcome'] }),
    cacheStoredBytes: host.counter({
      name: 'cache_stored_bytes_total',
      help: 'Bytes added to each binary cache (rate() is its storage growth).',
      labelNames: ['cache'],
      unit: 'bytes',
    }),
  };
}

/** A deterministic pseudo-random generator, so the demo's traffic is reproducible. */
export function random(seed) {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
}

/** A skewed org picker: org1 is busiest; a long tail of orgs builds once in a while. */
export function pickOrg(rnd) {
  const u = rnd();
  return u < 0.9 ? `org${1 + Math.floor(-Math.log(1 - rnd()) * 2)}` : `org${100 + Math.floor(u * 10_000)}`;
}
