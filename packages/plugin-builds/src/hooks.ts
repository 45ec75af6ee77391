/**
 * hooks: the plugin's domain-event hooks, made per host (a WeakMap, so a closed host is collected).
 * The application calls them; the plugin taps them. `isUsed()` is false where the plugin is absent,
 * so the application builds no payload there.
 */
import type { MetricsHost } from '@metricore/framework';
import { SyncHook } from 'tapable';
import type { BuildStatus, EvaluationStatus } from './statuses.js';

/** Tenant: who a build or evaluation belongs to. */
export interface Tenant {
  org: string;
  project: string;
}

/** BuildFinished: a build reached a terminal status; `durationSeconds` is `build_time_ms / 1000` (absent: only counted). */
export interface BuildFinished extends Tenant {
  status: BuildStatus;
  durationSeconds?: number;
  /** dependencyWaitSeconds: queued to ready, when the application did not send `buildReady`. */
  dependencyWaitSeconds?: number;
  /** dispatchWaitSeconds: ready to dispatched, when the application did not send `buildDispatched`. */
  dispatchWaitSeconds?: number;
}

/** EvaluationFinished: an evaluation reached a terminal status; `durationSeconds` is `updated_at - created_at`. */
export interface EvaluationFinished extends Tenant {
  status: EvaluationStatus;
  durationSeconds?: number;
}

/** StateChanged: an entity moved from `from` (absent: it is new) to `to`; the in-state gauges follow. */
export interface StateChanged<S extends string> extends Tenant {
  from?: S;
  to: S;
}

/** BuildWait: a wait that ended, for `build_dispatch_wait_seconds` / `build_dependency_wait_seconds`. */
export interface BuildWait {
  org: string;
  waitSeconds: number;
}

/** SchedulerState: the scheduler's counts now (any subset). */
export interface SchedulerState {
  pending?: number;
  active?: number;
  workers?: number;
}

/** CacheServed: NARs a binary cache served (one request or a batch). */
export interface CacheServed {
  cache: string;
  bytes: number;
  nars?: number;
}

/** CacheStored: packages a binary cache stored. */
export interface CacheStored {
  cache: string;
  bytes: number;
  packages?: number;
}

/** BuildsHooks: the events the application emits. */
export interface BuildsHooks {
  /** buildFinished: a build reached a terminal status (counter + duration histogram). */
  readonly buildFinished: SyncHook<[BuildFinished]>;
  /** evaluationFinished: an evaluation reached a terminal status (counter + duration histogram). */
  readonly evaluationFinished: SyncHook<[EvaluationFinished]>;
  /** buildStateChanged: a build changed status (in-state gauges; a terminal `to` only leaves `from`). */
  readonly buildStateChanged: SyncHook<[StateChanged<BuildStatus>]>;
  /** evaluationStateChanged: an evaluation changed status (in-state gauges). */
  readonly evaluationStateChanged: SyncHook<[StateChanged<EvaluationStatus>]>;
  /** buildReady: a queued build's dependencies are done (queued to ready wait). */
  readonly buildReady: SyncHook<[BuildWait]>;
  /** buildDispatched: a ready build was handed to a worker (ready to dispatched wait). */
  readonly buildDispatched: SyncHook<[BuildWait]>;
  /** schedulerChanged: pending / active jobs or connected workers changed. */
  readonly schedulerChanged: SyncHook<[SchedulerState]>;
  /** cacheServed: a cache served NARs. */
  readonly cacheServed: SyncHook<[CacheServed]>;
  /** cacheStored: a cache stored packages. */
  readonly cacheStored: SyncHook<[CacheStored]>;
}

const hooksByHost = new WeakMap<MetricsHost, BuildsHooks>();

/** getHooks: the plugin's hooks on `host`, made on first use; the same object for every caller of this host. */
export function getHooks(host: MetricsHost): BuildsHooks {
  let hooks = hooksByHost.get(host);
  if (hooks === undefined) {
    hooks = Object.freeze({
      buildFinished: new SyncHook<[BuildFinished]>(['build']),
      evaluationFinished: new SyncHook<[EvaluationFinished]>(['evaluation']),
      buildStateChanged: new SyncHook<[StateChanged<BuildStatus>]>(['change']),
      evaluationStateChanged: new SyncHook<[StateChanged<EvaluationStatus>]>(['change']),
      buildReady: new SyncHook<[BuildWait]>(['wait']),
      buildDispatched: new SyncHook<[BuildWait]>(['wait']),
      schedulerChanged: new SyncHook<[SchedulerState]>(['state']),
      cacheServed: new SyncHook<[CacheServed]>(['served']),
      cacheStored: new SyncHook<[CacheStored]>(['stored']),
    });
    hooksByHost.set(host, hooks);
  }
  return hooks;
}
