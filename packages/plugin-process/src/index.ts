/**
 * @metricore/plugin-process: process and Node.js runtime metrics under prom-client's default names,
 * collected at scrape time without blocking the event loop on file reads, plus a cumulative
 * event-loop delay histogram, event-loop utilisation, the real memory limit, a `thread` label in
 * worker threads, and CPU / memory of child processes the application watches.
 *
 * ```ts
 * const processPlugin = processMetrics({ children: { labelNames: ['job'] } });
 * const host = new MetricsHost({ plugins: [processPlugin] });
 * processPlugin.watchPid(child.pid, { job: 'build' });
 * ```
 */
import { debuglog } from 'node:util';
import { ErrorCode, MetricoreError, type Logger, type MetricsHost, type Plugin } from '@metricore/framework';
import type { Collector, CollectorContext } from './collector.js';
import { ChildProcesses, type ChildLabels } from './collectors/children.js';
import { cpuCollector } from './collectors/cpu.js';
import { eventLoopCollector } from './collectors/event-loop.js';
import { fdsCollector } from './collectors/fds.js';
import { gcCollector } from './collectors/gc.js';
import { heapCollector } from './collectors/heap.js';
import { infoCollector } from './collectors/info.js';
import { memoryCollector } from './collectors/memory.js';
import { resourcesCollector } from './collectors/resources.js';
import { PLUGIN_NAME, resolveOptions, type Group, type ProcessLogger, type ProcessMetricsOptions } from './options.js';

export { PLUGIN_NAME, GROUPS, PROCESS_GROUPS, THREAD_GROUPS, DEFAULT_GC_DURATION_BUCKETS, DEFAULT_EVENT_LOOP_BUCKETS } from './options.js';
export type { Group, ProcessMetricsOptions, ProcessLogger } from './options.js';
export type { ChildLabels } from './collectors/children.js';

/** ProcessPlugin: the plugin, plus the child-process watch list. */
export interface ProcessPlugin extends Plugin {
  /**
   * watchPid: samples `pid`'s CPU and memory (pidusage) at every collection, under `labels` (whose keys
   * must be `children.labelNames`). Watching a watched PID again replaces its labels. A PID that
   * cannot be read (it exited) is dropped with a debug log; when a label set's last PID is gone,
   * its series are removed from the exposition. Returns a function that unwatches it.
   * Throws a coded TypeError for a bad PID or labels, or when the `children` option is off.
   */
  watchPid(pid: number, labels?: ChildLabels): () => void;
  /** unwatchPid: stops watching `pid`; at the next collection it leaves the gauges (its label set's series go if it was the last). */
  unwatchPid(pid: number): boolean;
  /** watchedPids: the PIDs watched right now. */
  watchedPids(): number[];
}

const FACTORIES: Record<Exclude<Group, 'fds'>, (ctx: CollectorContext) => Collector> = {
  cpu: cpuCollector,
  memory: memoryCollector,
  info: infoCollector,
  heap: heapCollector,
  gc: gcCollector,
  eventloop: eventLoopCollector,
  resources: resourcesCollector,
};

/** FALLBACK_LOGGER: debug messages go to `NODE_DEBUG=metricore` when neither the option nor the host gives a logger. */
const FALLBACK_LOGGER: ProcessLogger = { debug: debuglog('metricore') };

/**
 * debugLoggerOf: the host's logger when it was given one with a `debug` method. The host's default
 * (console) is passed over: console.debug prints every dropped PID, with no level to turn it off.
 */
function debugLoggerOf(logger: Logger): ProcessLogger | undefined {
  if (logger === console || typeof logger.debug !== 'function') return undefined;
  return { debug: (message, error) => logger.debug!(message, error) };
}

/**
 * processPluginOf: the process plugin applied to `host` (e.g. loaded from a config file), to call
 * `watchPid` on; a thin wrapper over `host.getPlugin<ProcessPlugin>('@metricore/plugin-process')`.
 */
export function processPluginOf(host: MetricsHost): ProcessPlugin | undefined {
  return host.getPlugin<ProcessPlugin>(PLUGIN_NAME);
}

/**
 * processMetrics: the plugin factory. Options are validated here (a coded TypeError names the bad
 * option). One instance serves one host; collection costs a few async /proc reads on the libuv
 * pool and a few microseconds of JS on the event loop.
 */
export default function processMetrics(options: ProcessMetricsOptions = {}): ProcessPlugin {
  const resolved = resolveOptions(options);
  // Settled in apply: without the `logger` option, the host's logger (when it has debug) gets the messages.
  let log: ProcessLogger = resolved.logger ?? FALLBACK_LOGGER;
  const debug = (message: string, error?: unknown) => log.debug(error === undefined ? message : `${message}: ${String(error)}`, error);
  const children = new ChildProcesses(resolved.children?.labelNames, debug);
  let appliedTo: MetricsHost | undefined;

  const plugin: ProcessPlugin = {
    name: PLUGIN_NAME,
    framework: '^0.1.0',
    apply(host) {
      if (appliedTo !== undefined && appliedTo !== host) {
        // Counters add deltas per instance: two hosts sharing one instance would see half the CPU each.
        throw new MetricoreError(ErrorCode.PLUGIN_DUPLICATE, `${PLUGIN_NAME}: this processMetrics() instance is already applied to another host; make one per host`);
      }
      appliedTo = host;
      log = resolved.logger ?? debugLoggerOf(host.logger) ?? FALLBACK_LOGGER;
      const ctx: CollectorContext = {
        host,
        options: resolved,
        threadLabelNames: resolved.threadLabel ? ['thread'] : [],
        threadLabels: resolved.threadLabel ? { thread: resolved.threadName } : {},
        name: (base) => resolved.prefix + base,
        debug,
      };
      // The fd listing runs first and alone: files other groups open would be counted otherwise.
      const fds = resolved.groups.has('fds') ? fdsCollector(ctx) : undefined;
      const others: Collector[] = [];
      for (const [group, make] of Object.entries(FACTORIES) as Array<[Group, (c: CollectorContext) => Collector]>) {
        if (resolved.groups.has(group)) others.push(make(ctx));
      }
      const childCollector = children.collector(ctx);
      if (childCollector !== undefined) others.push(childCollector);
      const all = fds === undefined ? others : [fds, ...others];

      let closed = false;
      const collect = async () => {
        if (closed) return;
        await fds?.collect();
        // A collection that outlives close() would bring removed per-thread series back.
        if (closed) return;
        await Promise.all(others.map((c) => c.collect()));
      };
      host.hooks.collect.tapPromise(PLUGIN_NAME, collect);

      // A worker thread is not scraped itself: its per-thread figures reach the shared families on a timer.
      let timer: NodeJS.Timeout | undefined;
      if (resolved.collectIntervalMs > 0) {
        timer = setInterval(() => {
          collect().then(
            () => host.flush(),
            (error) => debug(`${PLUGIN_NAME}: timed collection failed`, error),
          );
        }, resolved.collectIntervalMs);
        timer.unref();
      }
      host.hooks.close.tapPromise(PLUGIN_NAME, async () => {
        closed = true;
        clearInterval(timer);
        for (const c of all) c.close?.();
        host.flush();
      });
    },
    watchPid: (pid, labels) => children.watch(pid, labels),
    unwatchPid: (pid) => children.unwatch(pid),
    watchedPids: () => children.pids(),
  };
  return plugin;
}

export { processMetrics };
