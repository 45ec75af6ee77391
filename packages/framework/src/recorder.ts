/**
 * recorder: the per-thread sample buffer between the metric API and the native core.
 *
 * Recording appends `(handle, value)` to a Float64Array; the core applies the buffer in one napi
 * call per 1,024 samples. Measured on our 2-core machine: a napi call per observation costs
 * 28.9 ns against 14.6 ns per value for this append-and-drain, so the hot path never crosses
 * into native on its own. The buffer is applied when full, before every render on this thread,
 * on `flushRecorded()` / `host.close()`, when the thread exits, and at least every
 * `flushIntervalMs` (default 1,000 ms; the shortest of the thread's live hosts): the bound on how
 * late another thread's scrape sees it.
 * The buffer lives in native memory, so a thread ended by `worker.terminate()` (which skips JS
 * `exit` handlers) still has its pending samples applied by the core's cleanup hook.
 */
import { isMainThread } from 'node:worker_threads';
import { FOLDED, native, SET_FLAG } from './native.js';

/** Samples per batch (pairs of doubles). */
const BATCH = 1024;
/** SET_FLAG, FOLDED: handle bits, exported by the core (core-native/src/handle.rs) and re-exported here. */
export { FOLDED, SET_FLAG };

/** thread: this JS thread's id in the core. */
export const thread = native.registerThread();
const samples = native.createSampleBuffer(thread, BATCH);
let length = 0;

/** record: buffers one sample; costs a typed-array append. Never throws for bad values. */
export function record(handle: number, value: number): void {
  const i = length;
  samples[i] = handle;
  samples[i + 1] = value;
  length = i + 2;
  if (length === samples.length) flushSamples();
}

/** flushSamples: applies this copy's buffered samples to the shared native storage now. */
function flushSamples(): void {
  if (length === 0) return;
  const n = length;
  length = 0;
  native.applySamples(thread, samples, n);
}

/**
 * DELTA_CELLS: counter and gauge series per thread (and copy of the framework) that hold a delta
 * cell at once, in the order they are bound; while all are held, the series bound after them
 * record through the sample buffer (correct, ~3x slower). A series removed, reset or evicted by its
 * TTL gives its cell back (releaseDeltaCells). 8,192 cells take 128 KiB of native memory per
 * thread, made with the first family.
 */
export const DELTA_CELLS = 8192;

/**
 * deltas: this copy's delta cells: `deltas[cell]` is what a counter or gauge series gained since the
 * last flush, `deltas[DELTA_CELLS + cell]` its handle. A gauge `set` writes its value into the cell
 * and SET_FLAG into the handle: the flush then applies the cell as a set of the value plus what
 * was added after it, and clears the flag (core-native/src/sample_buffer.rs). A gauge's calls
 * thus stay in their order without ever meeting the sample buffer. Native memory, one ArrayBuffer made once
 * (core-native/src/sample_buffer.rs), so `worker.terminate()` loses nothing: the core's cleanup
 * hook applies pending deltas. Why: a counter increment into a cell is a typed-array add
 * (recording benchmark: ~3.3 ns, the floor), where a buffered (handle, value) pair costs 10-15 ns.
 */
export let deltas: Float64Array<ArrayBufferLike> = new Float64Array(0);
let deltasUsed = 0;
/** Cells by handle: children of one series (e.g. after a cache prune) share its cell. */
const cellOf = new Map<number, number>();
/** Cells free again, reused before new ones. */
const freeCells: number[] = [];
/** Per cell: how many live children write into it. */
const cellUsers: number[] = [];
/** Per cell: its series left the label cache, so the cell is freed once its last child is collected. */
const cellRetired: boolean[] = [];
/**
 * A child that the application still holds after its series left the cache (removed, reset,
 * evicted) keeps writing into its cell, under the old handle, which revives the series in the core
 * from zero: so a cell is reused only once no child writes into it, which this registry learns
 * from the garbage collector (children register weakly: the registry keeps none alive).
 */
const cellChildren = new FinalizationRegistry<number>((cell) => {
  cellUsers[cell]--;
  if (cellUsers[cell] === 0 && cellRetired[cell]) freeCell(cell);
});

function freeCell(cell: number): void {
  cellRetired[cell] = false;
  freeCells.push(cell);
}

/**
 * deltaCell: the delta cell of series `handle` in this thread for the child `user`, or -1 when
 * every cell is taken (the caller records through `record`). The cell keeps the handle until
 * `moveDeltaCell`, or until it is freed and given to another series.
 */
export function deltaCell(handle: number, user: object): number {
  if (deltas.length === 0) return -1;
  let cell = cellOf.get(handle);
  if (cell === undefined) {
    cell = freeCells.pop() ?? (deltasUsed < DELTA_CELLS ? deltasUsed++ : -1);
    if (cell < 0) return -1;
    // What a freed cell still holds belongs to its last series: applied before the cell changes hands.
    if (deltas[cell] !== 0 || deltas[DELTA_CELLS + cell] >= SET_FLAG) flushLocal();
    deltas[DELTA_CELLS + cell] = handle;
    cellOf.set(handle, cell);
  }
  cellUsers[cell] = (cellUsers[cell] ?? 0) + 1;
  cellChildren.register(user, cell);
  return cell;
}

/**
 * releaseDeltaCells: the series of these handles left this thread's label cache (removed, reset,
 * evicted): their cells go free once the children writing into them are collected (at once when
 * none is left). Without this, a long-lived process whose label sets come and go would hold every
 * cell after 8,192 series and record every new series the slow way.
 */
export function releaseDeltaCells(handles: Iterable<number>): void {
  for (const handle of handles) {
    const cell = cellOf.get(handle);
    if (cell === undefined) continue;
    cellOf.delete(handle);
    if (cellUsers[cell] === 0) freeCell(cell);
    else cellRetired[cell] = true;
  }
}

/** deltaCellStats: cells held now (by series in the cache or children still alive), and cells ever handed out. For tests. */
export function deltaCellStats(): { held: number; made: number } {
  return { held: deltasUsed - freeCells.length, made: deltasUsed };
}

/** moveDeltaCell: the series of `cell` was revived under `handle` (a cache prune followed it); a pending gauge set stays pending. */
export function moveDeltaCell(cell: number, handle: number): void {
  const stored = deltas[DELTA_CELLS + cell];
  const set = stored >= SET_FLAG ? SET_FLAG : 0;
  const old = stored - set;
  if (old === handle) return;
  if (cellOf.get(old) === cell) cellOf.delete(old);
  if (!cellOf.has(handle)) cellOf.set(handle, cell);
  deltas[DELTA_CELLS + cell] = handle + set;
}

/** flushLocal: applies this copy's buffered samples and delta cells to the shared native storage now. */
function flushLocal(): void {
  flushSamples();
  if (deltasUsed !== 0) native.applyDeltas(thread, deltas, deltasUsed);
}

/**
 * The flushers of every copy of the framework loaded in this thread (an ESM and a CommonJS build
 * are two module instances with two buffers), kept on `globalThis` under a registry-wide Symbol so
 * whichever copy renders applies them all: a thread always sees its own samples.
 */
const FLUSHERS = Symbol.for('metricore.recorder.flushers');
type Global = typeof globalThis & { [FLUSHERS]?: Set<() => void> };
const flushers: Set<() => void> = ((globalThis as Global)[FLUSHERS] ??= new Set());

/** flushRecorded: applies this thread's buffered samples (of every loaded copy of the framework) to the shared native storage now. */
export function flushRecorded(): void {
  for (const flush of flushers) flush();
}

/** DEFAULT_FLUSH_INTERVAL_MS: the default bound on how late other threads see a sample. */
export const DEFAULT_FLUSH_INTERVAL_MS = 1000;

/** Flush intervals asked for by the live hosts of this thread (and copy); the timer runs at the shortest. */
const intervals = new Map<object, number>();
let timer: NodeJS.Timeout | undefined;
let timerMs = 0;
let started = false;

function reschedule(): void {
  const ms = intervals.size === 0 ? 0 : Math.min(...intervals.values());
  if (ms === timerMs) return;
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  timerMs = ms;
  if (ms === 0) return;
  timer = setInterval(flushRecorded, ms);
  timer.unref();
}

/**
 * startRecorder: called for every metric family made: registers this copy's buffer with the
 * thread's flushers and, once, flushes on exit (nothing recorded is lost when a thread or the
 * process ends). Importing the framework starts nothing; the first family does.
 */
export function startRecorder(): void {
  if (started) return;
  started = true;
  deltas = native.createDeltaCells(thread, DELTA_CELLS);
  flushers.add(flushLocal);
  process.on('exit', flushRecorded);
  if (!isMainThread) process.on('beforeExit', flushRecorded);
}

/**
 * flushEvery: `owner` (a host) wants this thread's buffer applied at least every `ms`; the
 * thread's one timer runs at the shortest interval any live host asked for, so one host's
 * setting never loosens another's bound. `ms` undefined withdraws the owner's wish.
 */
export function flushEvery(owner: object, ms: number | undefined): void {
  if (ms === undefined) intervals.delete(owner);
  else intervals.set(owner, ms);
  reschedule();
}
