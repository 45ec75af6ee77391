/**
 * children: CPU and memory of processes the application registers (build processes and the like),
 * sampled with pidusage on each collection.
 *
 * Series are keyed by the label set the application gives, not by PID: a PID label would add a
 * series per process that metricore cannot remove yet. Gauges are kept as this plugin instance's
 * contribution and moved by deltas, so a process that exits (or is unwatched) takes its memory and
 * its count out of the gauges at the next collection: a label set whose processes are all gone
 * reads 0 processes and 0 bytes, never a stale value. CPU is a counter per label set, summed over
 * every process that ran under it; `rate()` of it is the CPU those processes use.
 */
import { inspect } from 'node:util';
import pidusage from 'pidusage';
import { ErrorCode, MetricoreTypeError, type Counter, type Gauge } from '@metricore/framework';
import type { Collector, CollectorContext } from '../collector.js';
import { PLUGIN_NAME } from '../options.js';

/** ChildLabels: the label set a watched process is reported under (keys = `children.labelNames`). */
export type ChildLabels = Readonly<Record<string, string | number>>;

interface Watched {
  labels: Record<string, string>;
  key: string;
  /** CPU milliseconds already counted for this process. */
  cpuMs: number;
  /** Start time (ms since the epoch) seen at the first sample: a different one means the PID was reused. */
  startedAt?: number;
}

interface Contribution {
  labels: Record<string, string>;
  processes: number;
  memory: number;
}

/** A PID whose start time moved by more than this was reused by another process. */
const START_TOLERANCE_MS = 2000;

function invalid(code: (typeof ErrorCode)[keyof typeof ErrorCode], message: string): MetricoreTypeError {
  return new MetricoreTypeError(code, `${PLUGIN_NAME}: ${message}`);
}

/** ChildProcesses: the watch list and its collector. Safe to fill before the plugin is applied. */
export class ChildProcesses {
  private readonly watched = new Map<number, Watched>();
  private readonly contributions = new Map<string, Contribution>();
  private families: { processes: Gauge; memory: Gauge; cpu: Counter } | undefined;

  constructor(
    private readonly labelNames: readonly string[] | undefined,
    private readonly debug: (message: string, error?: unknown) => void,
  ) {}

  /** watch: reports `pid` under `labels` from the next collection on; returns a function that unwatches it. */
  watch(pid: number, labels: ChildLabels = {}): () => void {
    if (this.labelNames === undefined) {
      throw invalid(ErrorCode.INVALID_OPTION, 'watchPid() needs the child-process metrics; pass { children: { labelNames: [...] } } to processMetrics()');
    }
    if (!Number.isSafeInteger(pid) || pid <= 0) throw invalid(ErrorCode.INVALID_OPTION, `watchPid(): pid must be a positive integer, got ${typeof pid === 'number' ? pid : typeof pid}`);
    if (labels === null || typeof labels !== 'object') throw invalid(ErrorCode.INVALID_OPTION, `watchPid(${pid}): labels must be an object, got ${typeof labels}`);
    const names = this.labelNames;
    for (const key of Object.keys(labels)) {
      if (!names.includes(key)) {
        throw invalid(ErrorCode.UNKNOWN_LABEL, `watchPid(${pid}): label "${key}" is not in children.labelNames [${names.join(', ')}]; add it there or leave it out`);
      }
    }
    const normalized: Record<string, string> = {};
    for (const name of names) {
      const value = labels[name];
      if (value === undefined) throw invalid(ErrorCode.MISSING_LABEL, `watchPid(${pid}): label "${name}" is missing; every name in children.labelNames needs a value`);
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
        throw invalid(ErrorCode.INVALID_LABEL_VALUE, `watchPid(${pid}): label "${name}" must be a string or a finite number, got ${inspect(value)}`);
      }
      normalized[name] = String(value);
    }
    const previous = this.watched.get(pid);
    const entry: Watched = { labels: normalized, key: JSON.stringify(names.map((n) => normalized[n])), cpuMs: previous?.cpuMs ?? 0, startedAt: previous?.startedAt };
    this.watched.set(pid, entry);
    return () => {
      if (this.watched.get(pid) === entry) this.watched.delete(pid);
    };
  }

  /** unwatch: stops reporting `pid`; its memory and count leave the gauges at the next collection. */
  unwatch(pid: number): boolean {
    return this.watched.delete(pid);
  }

  /** pids: the PIDs currently watched. */
  pids(): number[] {
    return [...this.watched.keys()];
  }

  /** collector: defines the families on `ctx.host`; undefined when the `children` option is off. */
  collector(ctx: CollectorContext): Collector | undefined {
    if (this.labelNames === undefined) return undefined;
    const labelNames = this.labelNames;
    this.families = {
      processes: ctx.host.gauge({ name: ctx.name('process_child_processes'), help: 'Watched child processes that are alive, by label set.', labelNames }),
      memory: ctx.host.gauge({ name: ctx.name('process_child_resident_memory_bytes'), help: 'Resident memory of the watched child processes that are alive, in bytes.', labelNames, unit: 'bytes' }),
      cpu: ctx.host.counter({
        name: ctx.name('process_child_cpu_seconds_total'),
        help: 'User and system CPU time of watched child processes, in seconds, sampled at each collection.',
        labelNames,
        unit: 'seconds',
      }),
    };
    return { collect: () => this.collect(), close: () => this.apply(new Map()) };
  }

  private async collect(): Promise<void> {
    const entries = [...this.watched];
    if (entries.length === 0 && this.contributions.size === 0) return;
    // One call per PID: pidusage fails a whole array when one PID is gone.
    const samples = await Promise.allSettled(entries.map(([pid]) => pidusage(pid)));
    const live = new Map<string, Contribution>();
    entries.forEach(([pid, w], i) => {
      if (this.watched.get(pid) !== w) return; // Unwatched or re-watched while sampling.
      const sample = samples[i];
      if (sample.status === 'rejected') {
        this.drop(pid, 'could not be read (exited?)', sample.reason);
        return;
      }
      const { ctime, memory, timestamp, elapsed } = sample.value;
      const startedAt = timestamp - elapsed;
      w.startedAt ??= startedAt;
      if (Math.abs(startedAt - w.startedAt) > START_TOLERANCE_MS) {
        this.drop(pid, 'was reused by another process');
        return;
      }
      if (ctime > w.cpuMs) {
        this.families!.cpu.labels(w.labels).inc((ctime - w.cpuMs) / 1000);
        w.cpuMs = ctime;
      }
      const c = live.get(w.key) ?? { labels: w.labels, processes: 0, memory: 0 };
      c.processes += 1;
      c.memory += memory;
      live.set(w.key, c);
    });
    this.apply(live);
  }

  private drop(pid: number, why: string, error?: unknown): void {
    this.watched.delete(pid);
    this.debug(`${PLUGIN_NAME}: pid ${pid} ${why}; no longer watched`, error);
  }

  /** apply: moves the gauges from this instance's previous contribution to `live`, by deltas. */
  private apply(live: Map<string, Contribution>): void {
    const families = this.families;
    if (families === undefined) return;
    for (const key of new Set([...this.contributions.keys(), ...live.keys()])) {
      const before = this.contributions.get(key);
      const after = live.get(key);
      const labels = (after ?? before)!.labels;
      const dProcesses = (after?.processes ?? 0) - (before?.processes ?? 0);
      const dMemory = (after?.memory ?? 0) - (before?.memory ?? 0);
      if (dProcesses !== 0) families.processes.labels(labels).inc(dProcesses);
      if (dMemory !== 0) families.memory.labels(labels).inc(dMemory);
      // A label set seen for the first time gets its series now, even at 0.
      if (before === undefined) {
        families.processes.labels(labels);
        families.memory.labels(labels);
        families.cpu.labels(labels);
      }
      if (after === undefined) this.contributions.delete(key);
      else this.contributions.set(key, after);
    }
  }
}
