/**
 * hooks: the host's tapable hooks, grouped by lifecycle phase. docs/hooks.md has the table.
 */
import { createRequire } from 'node:module';
import type * as Tapable from 'tapable';
import type { FullDefinition } from './definition.js';
import type { Metric } from './metric.js';

/** HookClasses: the four tapable hook classes the host uses. */
interface HookClasses {
  SyncHook: typeof Tapable.SyncHook;
  SyncWaterfallHook: typeof Tapable.SyncWaterfallHook;
  AsyncParallelHook: typeof Tapable.AsyncParallelHook;
  AsyncSeriesHook: typeof Tapable.AsyncSeriesHook;
}

let classes: HookClasses | undefined;

/**
 * hookClasses: tapable's hook classes, loaded on the first `createHooks()` (the first access to a
 * host's `hooks`), each from its own file rather than tapable's index, which loads all twelve hook
 * kinds. Importing the four at startup retained about 0.17 MiB of heap, the index 0.30 MiB
 * (measured alone with --expose-gc after full collections, load average 10; issue #17). tapable
 * has no "exports" map, so the paths resolve from both builds.
 */
function hookClasses(): HookClasses {
  if (classes !== undefined) return classes;
  const require = createRequire(import.meta.url);
  classes = {
    SyncHook: require('tapable/lib/SyncHook.js'),
    SyncWaterfallHook: require('tapable/lib/SyncWaterfallHook.js'),
    AsyncParallelHook: require('tapable/lib/AsyncParallelHook.js'),
    AsyncSeriesHook: require('tapable/lib/AsyncSeriesHook.js'),
  };
  return classes;
}

/** ExpositionFormat: the two formats the endpoint negotiates. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** CollectContext: passed to `collect` taps before each render. */
export interface CollectContext {
  /** format: the format this scrape renders. */
  readonly format: ExpositionFormat;
  /** signal: aborted when the collect timeout passes; long collectors should stop then. */
  readonly signal: AbortSignal;
  /** failedPlugins: plugins whose collector failed this scrape (their families are left out). */
  readonly failedPlugins: Set<string>;
}

/** RenderInfo: passed to `afterRender` taps after each render. */
export interface RenderInfo {
  readonly format: ExpositionFormat;
  readonly gzip: boolean;
  /** bytes: size of the body as sent. */
  readonly bytes: number;
  /** durationSeconds: collect + render time. */
  readonly durationSeconds: number;
}

/** ListenInfo: passed to `listening` taps when the endpoint is bound. */
export interface ListenInfo {
  readonly url: string;
  readonly port: number;
  readonly host: string;
}

/** createHooks: a new frozen set of host hooks (loads tapable's hook classes the first time). */
export function createHooks() {
  const { SyncHook, SyncWaterfallHook, AsyncParallelHook, AsyncSeriesHook } = hookClasses();
  return Object.freeze({
    // definition
    /** define: every metric definition passes here before registration; a tap may return an adjusted definition. */
    define: new SyncWaterfallHook<[FullDefinition]>(['definition']),
    /** registered: after a metric family is registered (or found identical) in the native core. */
    registered: new SyncHook<[Metric]>(['metric']),
    // scrape
    /** collect: before each render; taps set scrape-time values (queries, process stats). Timed out after collectTimeoutMs. */
    collect: new AsyncParallelHook<[CollectContext]>(['context']),
    /** afterRender: after each render, with the format, size and duration. */
    afterRender: new SyncHook<[RenderInfo]>(['info']),
    // lifecycle
    /** listening: after `host.listen()` bound its socket. */
    listening: new SyncHook<[ListenInfo]>(['info']),
    /** close: on `host.close()`, after buffered samples were applied and the endpoint stopped. */
    close: new AsyncSeriesHook<[]>([]),
  });
}

/** HostHooks: the type of `host.hooks`. */
export type HostHooks = ReturnType<typeof createHooks>;
