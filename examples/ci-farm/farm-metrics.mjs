// The build workers' own metric families, defined the same way in every build worker thread
// (families are process-wide per registry, so the threads share their storage).
export const REGISTRY = 'ci-farm';

// Tenants: the 5 busiest orgs get their own series, caches are opt-in, projects are aggregated away.
export const LABEL_POLICY = {
  org: { topN: 5 },
  cache: { allow: ['main', 'nixpkgs'] },
  project: { drop: true },
};

/**
 * defineFarmMetrics: the worker-side families one host needs; cheap to call in each thread. Build,
 * evaluation, scheduler and cache metrics come from @metricore/plugin-builds in the server.
 */
export function defineFarmMetrics(host) {
  return {
    slotsBusy: host.gauge({ name: 'worker_build_slots_busy', help: 'Build slots in use.', labelNames: ['worker'] }),
    slotsMax: host.gauge({ name: 'worker_build_slots_max', help: 'Build slots configured (max_concurrent_builds).', labelNames: ['worker'] }),
    transferBytes: host.counter({
      name: 'artifact_transfer_bytes_total',
      help: 'Artifact bytes moved between workers and caches.',
      labelNames: ['org', 'cache', 'direction'],
      unit: 'bytes',
    }),
    transfers: host.counter({ name: 'artifact_transfers_total', help: 'Artifact transfer requests.', labelNames: ['cache', 'direction', 'outcome'] }),
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
