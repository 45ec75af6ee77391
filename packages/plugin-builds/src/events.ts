/**
 * events: the plugin's taps on its own hooks: each event becomes a few buffered recordings (a
 * label-object lookup and an append each; no napi call once a label set is bound).
 */
import type { MetricsHost } from '@metricore/framework';
import type { Families } from './families.js';
import { getHooks, type StateChanged } from './hooks.js';
import { PLUGIN_NAME } from './options.js';
import { BUILD_TERMINAL, EVALUATION_TERMINAL } from './statuses.js';

/** SqlOwned: counts the SQL source reads from the database; events then leave them alone (no double counting). */
export interface SqlOwned {
  builds: boolean;
  evaluations: boolean;
  cacheTraffic: boolean;
}

/** tapEvents: records every event of `host`'s plugin hooks into the families (those of `sqlOwned` queries excepted). */
export function tapEvents(host: MetricsHost, f: Families, sqlOwned: SqlOwned): void {
  const hooks = getHooks(host);
  const { buildsTotal, evaluationsTotal, buildDuration, evaluationDuration, dispatchWait, dependencyWait } = f;

  hooks.buildFinished.tap(PLUGIN_NAME, (b) => {
    const labels = { org: b.org, project: b.project, status: b.status };
    if (!sqlOwned.builds) buildsTotal.inc(labels);
    if (b.durationSeconds !== undefined) buildDuration.observe(labels, b.durationSeconds);
    if (b.dependencyWaitSeconds !== undefined) dependencyWait.observe({ org: b.org }, b.dependencyWaitSeconds);
    if (b.dispatchWaitSeconds !== undefined) dispatchWait.observe({ org: b.org }, b.dispatchWaitSeconds);
  });
  hooks.evaluationFinished.tap(PLUGIN_NAME, (e) => {
    const labels = { org: e.org, project: e.project, status: e.status };
    if (!sqlOwned.evaluations) evaluationsTotal.inc(labels);
    if (e.durationSeconds !== undefined) evaluationDuration.observe(labels, e.durationSeconds);
  });

  const inState = (gauge: () => Families['buildsInState'], terminal: ReadonlySet<string>) => (c: StateChanged<string>) => {
    const g = gauge();
    if (c.from !== undefined && !terminal.has(c.from)) g.dec({ org: c.org, project: c.project, status: c.from });
    if (!terminal.has(c.to)) g.inc({ org: c.org, project: c.project, status: c.to });
  };
  if (!sqlOwned.builds) hooks.buildStateChanged.tap(PLUGIN_NAME, inState(() => f.buildsInState, BUILD_TERMINAL));
  if (!sqlOwned.evaluations) hooks.evaluationStateChanged.tap(PLUGIN_NAME, inState(() => f.evaluationsInState, EVALUATION_TERMINAL));

  hooks.buildReady.tap(PLUGIN_NAME, (w) => dependencyWait.observe({ org: w.org }, w.waitSeconds));
  hooks.buildDispatched.tap(PLUGIN_NAME, (w) => dispatchWait.observe({ org: w.org }, w.waitSeconds));

  hooks.schedulerChanged.tap(PLUGIN_NAME, (s) => {
    if (s.pending !== undefined) f.jobsPending.set(s.pending);
    if (s.active !== undefined) f.jobsActive.set(s.active);
    if (s.workers !== undefined) f.workersConnected.set(s.workers);
  });
  if (!sqlOwned.cacheTraffic) hooks.cacheServed.tap(PLUGIN_NAME, (c) => {
    f.cacheBytesSent.inc({ cache: c.cache }, c.bytes);
    f.cacheNarRequests.inc({ cache: c.cache }, c.nars ?? 1);
  });
  hooks.cacheStored.tap(PLUGIN_NAME, (c) => {
    f.cacheStoredBytesTotal.inc({ cache: c.cache }, c.bytes);
    f.cacheStoredPackagesTotal.inc({ cache: c.cache }, c.packages ?? 1);
  });
}
