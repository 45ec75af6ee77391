/**
 * slots: build slots (used, max, busy slot-seconds) and the job handle that takes one.
 *
 * Busy slot-seconds are accumulated exactly: at every slot change and at every collection the time
 * since the previous one, times the slots used during it, is added to the counter. So
 * `rate(worker_build_slot_busy_seconds_total[5m]) / worker_build_slots_max` is the mean utilisation,
 * however short the jobs were compared with the scrape interval.
 */
import { ErrorCode, MetricoreTypeError, type Counter, type Gauge, type Histogram, type MetricsHost } from '@metricore/framework';
import type { MisuseReason } from './misuse.js';
import { PLUGIN_NAME, type ProcessWatcher, type ResolvedOptions } from './options.js';

/** JobStart: what `startJob` takes. Give `queuedAt` or `waitedSeconds` to record the queue wait. */
export interface JobStart {
  /** org: the job's organisation (the `org` label of the queue wait and of its build processes). Default "". */
  org?: string;
  /** queuedAt: when the job was queued (a Date or epoch milliseconds); the wait is now minus this, 0 if the clocks disagree. */
  queuedAt?: Date | number;
  /** waitedSeconds: the queue wait, when the scheduler measured it. */
  waitedSeconds?: number;
}

function invalid(message: string): MetricoreTypeError {
  return new MetricoreTypeError(ErrorCode.INVALID_OPTION, `${PLUGIN_NAME}: ${message}`);
}

/** BuildSlots: the slot families of one host and the accounting behind them. */
export class BuildSlots {
  private readonly usedGauge: Gauge;
  private readonly maxGauge: Gauge;
  private readonly busy: Counter;
  private readonly queueWait: Histogram;
  private usedSlots = 0;
  private last = performance.now();

  constructor(
    host: MetricsHost,
    private readonly options: ResolvedOptions,
    readonly misuse: (reason: MisuseReason) => void,
  ) {
    this.usedGauge = host.gauge({ name: 'worker_build_slots_used', help: 'Build slots running a job now.' });
    this.maxGauge = host.gauge({ name: 'worker_build_slots_max', help: 'Builds this worker runs at once.' });
    this.busy = host.counter({
      name: 'worker_build_slot_busy_seconds_total',
      help: 'Slot-seconds spent running jobs; rate() over worker_build_slots_max is utilisation.',
      unit: 'seconds',
    });
    this.queueWait = host.histogram({
      name: 'worker_job_queue_wait_seconds',
      help: 'Time from a job being queued to it starting on this worker.',
      labelNames: ['org'],
      unit: 'seconds',
      buckets: options.queueWaitBuckets,
      labelPolicy: options.labelPolicy.org === undefined ? undefined : { org: options.labelPolicy.org },
    });
    this.maxGauge.set(options.slots);
    this.usedGauge.set(0);
    this.busy.inc(0);
  }

  /** used: slots in use now. */
  get used(): number {
    return this.usedSlots;
  }

  /** setMax: changes `worker_build_slots_max`; throws a coded TypeError for a negative or fractional count. */
  setMax(slots: number): void {
    if (!Number.isSafeInteger(slots) || slots < 0) throw invalid(`setSlots(): slots must be a non-negative integer, got ${String(slots)}`);
    this.account();
    this.maxGauge.set(slots);
  }

  /** account: adds the busy slot-seconds since the last change (called at each change and each collection). */
  account(): void {
    const now = performance.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    if (this.usedSlots > 0 && seconds > 0) this.busy.inc(this.usedSlots * seconds);
  }

  /** start: takes a slot, records the queue wait and returns the job's handle. */
  start(input: JobStart = {}): Job {
    if (input === null || typeof input !== 'object') throw invalid(`startJob(): expected an object, got ${input === null ? 'null' : typeof input}`);
    const { org = '', queuedAt, waitedSeconds } = input;
    if (typeof org !== 'string') throw invalid(`startJob(): org must be a string, got ${JSON.stringify(org)}`);
    let wait: number | undefined;
    if (waitedSeconds !== undefined) {
      if (typeof waitedSeconds !== 'number' || !Number.isFinite(waitedSeconds)) throw invalid(`startJob(): waitedSeconds must be a finite number, got ${String(waitedSeconds)}`);
      wait = Math.max(0, waitedSeconds);
    } else if (queuedAt !== undefined) {
      const at = queuedAt instanceof Date ? queuedAt.getTime() : queuedAt;
      if (typeof at !== 'number' || !Number.isFinite(at)) throw invalid(`startJob(): queuedAt must be a Date or epoch milliseconds, got ${String(queuedAt)}`);
      wait = Math.max(0, (Date.now() - at) / 1000);
    }
    this.account();
    this.usedSlots++;
    this.usedGauge.set(this.usedSlots);
    if (wait !== undefined) this.queueWait.labels(org).observe(wait);
    return new Job(this, org, this.options.processes);
  }

  /** release: frees a slot (the job handle calls it once). */
  release(): void {
    this.account();
    this.usedSlots--;
    this.usedGauge.set(this.usedSlots);
  }
}

/**
 * Job: one build holding a slot from `startJob()` until `end()`. A job never ended keeps its slot
 * (the gauge shows it); end it in a `finally`. A second `end()` is ignored and counted as misuse.
 */
export class Job {
  private ended = false;
  private readonly unwatch: Array<() => void> = [];

  /** @internal */
  constructor(
    private readonly slots: BuildSlots,
    /** org: the job's organisation. */
    readonly org: string,
    private readonly processes: ProcessWatcher | undefined,
  ) {}

  /**
   * watchProcess: reports the build process `pid` (CPU, resident memory) under `{ org }` through
   * plugin-process until the job ends or the process exits. Throws a coded TypeError when the
   * worker plugin was made without the `processes` option, or for a bad PID.
   */
  watchProcess(pid: number): void {
    if (this.processes === undefined) {
      throw invalid('watchProcess() needs plugin-process: pass workerMetrics({ processes: processMetrics({ children: { labelNames: ["org"] } }) }) and apply both plugins');
    }
    if (this.ended) return;
    this.unwatch.push(this.processes.watchPid(pid, { org: this.org }));
  }

  /** end: frees the slot and stops watching the job's processes. Returns false (counted as misuse) if it had ended already. */
  end(): boolean {
    if (this.ended) {
      this.slots.misuse('job_ended_twice');
      return false;
    }
    this.ended = true;
    for (const stop of this.unwatch.splice(0)) stop();
    this.slots.release();
    return true;
  }
}
