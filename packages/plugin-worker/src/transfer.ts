/**
 * transfer: artifact transfer metrics and the per-transfer handle.
 *
 * `transfers.start(labels)` binds every label set a transfer records into once, so `chunk(bytes)`
 * costs one clock read, one bound counter add and one bound histogram observe: two buffered appends
 * (measured in benchmarks/src/worker.bench.mjs), with no label lookup and no allocation. `end(outcome)`
 * records the count, size and duration once. A handle that is garbage-collected without `end()` is
 * recorded as `aborted` (and counted as misuse), so no transfer is lost from the counts.
 */
import {
  ErrorCode,
  MetricoreTypeError,
  type Counter,
  type CounterChild,
  type Gauge,
  type Histogram,
  type HistogramChild,
  type MetricsHost,
} from '@metricore/framework';
import type { MisuseReason } from './misuse.js';
import { DIRECTIONS, OUTCOMES, PLUGIN_NAME, TRANSPORTS, type Direction, type Outcome, type ResolvedOptions, type Transport } from './options.js';

/** TransferLabels: what a transfer is reported under. `peer` and `org` go through the label policy. */
export interface TransferLabels {
  /** direction: `pull` (to this worker) or `push` (from it). */
  direction: Direction;
  /** transport: `direct`, `relay` or `object_store`. */
  transport: Transport;
  /** peer: the other end, e.g. another worker's id or "server" (bounded by the `peer` label rule). */
  peer: string;
  /** org: the organisation the artifact belongs to (bounded by the `org` label rule). Default "". */
  org?: string;
}

/** State: what a transfer's end needs; kept apart from the handle so the finalizer can read it. */
interface State {
  readonly labels: Required<TransferLabels>;
  readonly startedAt: number;
  last: number;
  size: number;
  ended: boolean;
}

/** TransferMetrics: the transfer families of one host and the handles' shared work. */
export class TransferMetrics {
  readonly bytes: Counter;
  readonly transfers: Counter;
  readonly size: Histogram;
  readonly duration: Histogram;
  readonly chunks: Histogram;
  readonly active: Gauge;
  private readonly finalizer = new FinalizationRegistry<State>((state) => {
    if (state.ended) return;
    this.misuse('transfer_never_ended');
    this.finish(state, 'aborted');
  });

  constructor(
    host: MetricsHost,
    options: ResolvedOptions,
    readonly misuse: (reason: MisuseReason) => void,
  ) {
    const labelPolicy = { ...options.labelPolicy };
    this.bytes = host.counter({
      name: 'worker_transfer_bytes_total',
      help: 'Artifact bytes moved, counted per chunk as they move, by direction, transport, peer and org.',
      labelNames: ['direction', 'transport', 'peer', 'org'],
      unit: 'bytes',
      labelPolicy,
    });
    this.transfers = host.counter({
      name: 'worker_transfers_total',
      help: 'Artifact transfers that ended, by direction, transport, outcome, peer and org.',
      labelNames: ['direction', 'transport', 'outcome', 'peer', 'org'],
      labelPolicy,
    });
    this.size = host.histogram({
      name: 'worker_transfer_size_bytes',
      help: 'Bytes moved by one transfer, recorded when it ends; _sum is bytes by outcome.',
      labelNames: ['direction', 'transport', 'outcome'],
      unit: 'bytes',
      buckets: options.sizeBuckets,
    });
    this.duration = host.histogram({
      name: 'worker_transfer_duration_seconds',
      help: 'Duration of one transfer, from start to end, recorded when it ends.',
      labelNames: ['direction', 'transport', 'outcome'],
      unit: 'seconds',
      buckets: options.durationBuckets,
    });
    this.chunks = host.histogram({
      name: 'worker_transfer_chunk_seconds',
      help: 'Time from the start of a transfer or its previous chunk to each chunk.',
      labelNames: ['direction', 'transport'],
      unit: 'seconds',
      buckets: options.chunkBuckets,
    });
    this.active = host.gauge({
      name: 'worker_transfers_active',
      help: 'Transfers started and not ended yet.',
      labelNames: ['direction', 'transport'],
    });
  }

  /** start: a handle for one transfer; throws a coded TypeError for a direction, transport, peer or org that is not allowed. */
  start(input: TransferLabels): Transfer {
    const labels = checkLabels(input);
    const { direction, transport, peer, org } = labels;
    const now = performance.now();
    const state: State = { labels, startedAt: now, last: now, size: 0, ended: false };
    this.active.labels(direction, transport).inc();
    const transfer = new Transfer(this, state, this.bytes.labels(direction, transport, peer, org), this.chunks.labels(direction, transport));
    this.finalizer.register(transfer, state, state);
    return transfer;
  }

  /** finish: records a transfer's end once (the handle or the finalizer calls it). */
  finish(state: State, outcome: Outcome): void {
    state.ended = true;
    this.finalizer.unregister(state);
    const { direction, transport, peer, org } = state.labels;
    const seconds = (performance.now() - state.startedAt) / 1000;
    this.transfers.labels(direction, transport, outcome, peer, org).inc();
    this.size.labels(direction, transport, outcome).observe(state.size);
    this.duration.labels(direction, transport, outcome).observe(seconds);
    this.active.labels(direction, transport).dec();
  }
}

/**
 * Transfer: one artifact transfer. Call `chunk(bytes)` for every chunk moved and `end(outcome)`
 * (or `abort()`) once. Misuse never throws: a second end is ignored, a chunk after the end still
 * counts its bytes; both are counted in `worker_handle_misuse_total`. Not shared across threads.
 */
export class Transfer {
  /** @internal */
  constructor(
    private readonly metrics: TransferMetrics,
    private readonly state: State,
    private readonly bytesChild: CounterChild,
    private readonly chunkChild: HistogramChild,
  ) {}

  /** chunk: records `bytes` moved now (a counter add and a chunk-interval observe, both bound). Negative or NaN bytes are dropped and counted by the core. */
  chunk(bytes: number): void {
    const s = this.state;
    if (s.ended) this.metrics.misuse('chunk_after_end');
    else {
      const now = performance.now();
      this.chunkChild.observe((now - s.last) / 1000);
      s.last = now;
      if (bytes > 0) s.size += bytes;
    }
    this.bytesChild.inc(bytes);
  }

  /** end: records the transfer's outcome, size and duration, once. Returns false (and counts misuse) if it had ended already. */
  end(outcome: Outcome = 'ok'): boolean {
    const s = this.state;
    if (s.ended) {
      this.metrics.misuse('transfer_ended_twice');
      return false;
    }
    let o = outcome;
    if (!(OUTCOMES as readonly string[]).includes(o)) {
      this.metrics.misuse('invalid_outcome');
      o = 'failed';
    }
    this.metrics.finish(s, o);
    return true;
  }

  /** abort: `end('aborted')`, e.g. in a `finally` after a cancelled request. Returns false if it had ended already. */
  abort(): boolean {
    return this.end('aborted');
  }

  /** bytes: the bytes recorded by `chunk()` so far. */
  get bytes(): number {
    return this.state.size;
  }

  /** ended: whether `end()` or `abort()` was called. */
  get ended(): boolean {
    return this.state.ended;
  }
}

function invalid(message: string): MetricoreTypeError {
  return new MetricoreTypeError(ErrorCode.INVALID_LABEL_VALUE, `${PLUGIN_NAME}: ${message}`);
}

/** checkLabels: the transfer's labels, checked, with `org` defaulted to "". */
function checkLabels(input: TransferLabels): Required<TransferLabels> {
  if (input === null || typeof input !== 'object') throw invalid(`transfer(): labels must be an object, got ${input === null ? 'null' : typeof input}`);
  const { direction, transport, peer, org = '' } = input;
  if (!(DIRECTIONS as readonly unknown[]).includes(direction)) throw invalid(`transfer(): direction must be one of ${DIRECTIONS.join(', ')}; got ${JSON.stringify(direction)}`);
  if (!(TRANSPORTS as readonly unknown[]).includes(transport)) throw invalid(`transfer(): transport must be one of ${TRANSPORTS.join(', ')}; got ${JSON.stringify(transport)}`);
  if (typeof peer !== 'string' || peer === '') throw invalid(`transfer(): peer must be a non-empty string (a worker id or "server"); got ${JSON.stringify(peer)}`);
  if (typeof org !== 'string') throw invalid(`transfer(): org must be a string; got ${JSON.stringify(org)}`);
  return { direction, transport, peer, org };
}
