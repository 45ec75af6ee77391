/**
 * @metricore/plugin-worker: metrics of a build worker (artifact transfers with a per-transfer
 * handle, build slots and their utilisation, queue wait, build processes through plugin-process)
 * and, for the server, a Prometheus HTTP service-discovery list of the workers.
 *
 * ```ts
 * const processes = processMetrics({ children: { labelNames: ['org'] } });
 * const worker = workerMetrics({ slots: 64, processes });
 * const host = new MetricsHost({ plugins: [processes, worker], endpoint: { token } });
 * const t = worker.transfer({ direction: 'pull', transport: 'direct', peer: 'worker-7', org: 'acme' });
 * for await (const chunk of body) t.chunk(chunk.length);
 * t.end('ok');
 * ```
 */
import { ErrorCode, MetricoreError, type Counter, type MetricsHost, type Plugin } from '@metricore/framework';
import { announcement, type Announcement } from './discovery.js';
import { MISUSE_REASONS, type MisuseReason } from './misuse.js';
import { PLUGIN_NAME, resolveOptions, type WorkerMetricsOptions } from './options.js';
import { BuildSlots, type Job, type JobStart } from './slots.js';
import { TransferMetrics, type Transfer, type TransferLabels } from './transfer.js';

export {
  PLUGIN_NAME,
  DIRECTIONS,
  TRANSPORTS,
  OUTCOMES,
  DEFAULT_SIZE_BUCKETS,
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_CHUNK_BUCKETS,
  DEFAULT_QUEUE_WAIT_BUCKETS,
  DEFAULT_LABEL_POLICY,
} from './options.js';
export type { Direction, Transport, Outcome, WorkerMetricsOptions, WorkerLabelPolicy, ProcessWatcher } from './options.js';
export { MISUSE_REASONS, type MisuseReason } from './misuse.js';
export { Transfer, type TransferLabels } from './transfer.js';
export { Job, type JobStart } from './slots.js';
export { ServiceDiscovery, serviceDiscovery, announcement, type Announcement, type TargetGroup, type ServiceDiscoveryOptions } from './discovery.js';

/** WorkerPlugin: the plugin, plus the worker's recording API (usable once the plugin is applied to a host). */
export interface WorkerPlugin extends Plugin {
  /**
   * transfer: starts one artifact transfer; its labels are bound here, once. Costs a few cached
   * label lookups; throws a coded TypeError for a bad direction, transport, peer or org, and
   * METRICORE_PLUGIN_NOT_APPLIED when the plugin is not applied yet.
   */
  transfer(labels: TransferLabels): Transfer;
  /** startJob: takes a build slot and records the queue wait; `job.end()` frees the slot. Throws before apply. */
  startJob(start?: JobStart): Job;
  /** setSlots: changes how many builds this worker runs at once (`worker_build_slots_max`). */
  setSlots(slots: number): void;
  /** usedSlots: build slots in use now. */
  usedSlots(): number;
  /**
   * announcement: the payload to send to the server's `ServiceDiscovery.announce()`. `url` defaults to
   * the address `host.listen()` bound (give a routable one when it listened on 0.0.0.0).
   */
  announcement(input: { id: string; url?: string | URL; labels?: Record<string, string> }): Announcement;
}

interface Applied {
  transfers: TransferMetrics;
  slots: BuildSlots;
}

/**
 * workerMetrics: the plugin factory. Options are validated here (a coded TypeError names the bad
 * option). One instance serves one host.
 */
export default function workerMetrics(options: WorkerMetricsOptions = {}): WorkerPlugin {
  const resolved = resolveOptions(options);
  let applied: Applied | undefined;
  let appliedTo: MetricsHost | undefined;
  let listenUrl: string | undefined;

  const use = (what: string): Applied => {
    if (applied === undefined) throw new MetricoreError(ErrorCode.PLUGIN_NOT_APPLIED, `${PLUGIN_NAME}: ${what}() before the plugin was applied; pass it to new MetricsHost({ plugins }) first`);
    return applied;
  };

  return {
    name: PLUGIN_NAME,
    framework: '^0.1.0',
    apply(host) {
      if (appliedTo !== undefined && appliedTo !== host) {
        throw new MetricoreError(ErrorCode.PLUGIN_DUPLICATE, `${PLUGIN_NAME}: this workerMetrics() instance is already applied to another host; make one per host`);
      }
      appliedTo = host;
      const misuseCounter: Counter = host.counter({
        name: 'worker_handle_misuse_total',
        help: 'Transfer and job handles used wrongly (ended twice, never ended, ...), by reason; nothing is thrown.',
        labelNames: ['reason'],
      });
      const misuseChildren = new Map(MISUSE_REASONS.map((r) => [r, misuseCounter.labels(r)]));
      const misuse = (reason: MisuseReason) => misuseChildren.get(reason)!.inc();
      applied = { transfers: new TransferMetrics(host, resolved, misuse), slots: new BuildSlots(host, resolved, misuse) };
      const { slots } = applied;
      host.hooks.collect.tap(PLUGIN_NAME, () => slots.account());
      host.hooks.listening.tap(PLUGIN_NAME, (info) => {
        listenUrl = info.url;
      });
    },
    transfer: (labels) => use('transfer').transfers.start(labels),
    startJob: (start) => use('startJob').slots.start(start),
    setSlots: (slots) => use('setSlots').slots.setMax(slots),
    usedSlots: () => use('usedSlots').slots.used,
    announcement: ({ id, url, labels }) => {
      const address = url ?? listenUrl;
      if (address === undefined) throw new MetricoreError(ErrorCode.INVALID_OPTION, `${PLUGIN_NAME}: announcement(): the host is not listening yet; call host.listen() first or pass { url }`);
      return announcement({ id, url: address, labels });
    },
  };
}

export { workerMetrics };
