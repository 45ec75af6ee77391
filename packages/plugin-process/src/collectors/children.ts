/**
 * children: CPU and memory of processes the application registers (build processes and the like),
 * sampled with pidusage on each collection.
 *
 * Series are keyed by the label set the application gives, not by PID, so one series stands for
 * every process watched under it. At each collection the gauges are set to what the live PIDs of
 * a label set add up to; once the last PID of a label set has exited or been unwatched, its three
 * series are removed from the exposition (Prometheus marks them stale) rather than left at 0.
 * CPU is a counter per label set, summed over every process that ran under it while the label set
 * had one alive; `rate()` of it is the CPU those processes use.
 *
 * A label set belongs to one plugin instance: the gauges are set, not added to, and the series
 * are removed when this instance's last PID under it is gone.
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

/** LabelSet: what the live PIDs of one label set add up to at a collection. */
interface LabelSet {
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
  /** Label sets that have series in the exposition, by key. */
  private readonly reported = new Map<string, Record<string, string>>();
  private families: { processes: Gauge; memory: Gauge; cpu: Counter } | undefined;
  private closed = false;

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

  /** unwatch: stops reporting `pid`; at the next collection it leaves the gauges, or its label set's series go if it was the last. */
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
    return {
      collect: () => this.collect(),
      close: () => {
        // A collection still sampling would bring the series back after they are removed.
        this.closed = true;
        this.report(new Map());
      },
    };
  }

  private async collect(): Promise<void> {
    const entries = [...this.watched];
    if (this.closed || (entries.length === 0 && this.reported.size === 0)) return;
    // One call per PID: pidusage fails a whole array when one PID is gone.
    const samples = await Promise.allSettled(entries.map(([pid]) => pidusage(pid)));
    if (this.closed) return;
    const live = new Map<string, LabelSet>();
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
    this.report(live);
  }

  private drop(pid: number, why: string, error?: unknown): void {
    this.watched.delete(pid);
    this.debug(`${PLUGIN_NAME}: pid ${pid} ${why}; no longer watched`, error);
  }

  /** report: sets the series of the label sets in `live` and removes those of label sets no longer in it. */
  private report(live: Map<string, LabelSet>): void {
    const families = this.families;
    if (families === undefined) return;
    for (const { labels, processes, memory } of live.values()) {
      families.processes.labels(labels).set(processes);
      families.memory.labels(labels).set(memory);
      families.cpu.labels(labels); // A label set seen for the first time gets its CPU series now, even at 0.
    }
    for (const [key, labels] of this.reported) {
      if (live.has(key)) continue;
      families.processes.remove(labels);
      families.memory.remove(labels);
      families.cpu.remove(labels);
      this.reported.delete(key);
    }
    for (const [key, { labels }] of live) this.reported.set(key, labels);
  }
}
