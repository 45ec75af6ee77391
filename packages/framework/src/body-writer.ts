/**
 * body-writer: writes a response body to a socket in slices, with backpressure, giving the event
 * loop a turn between slices, and stops (releasing what it holds) when the client goes away.
 *
 * Why slices: `res.end(body)` of a 22 MB body is one `writev` syscall that copies the whole body
 * into the kernel on the JS thread: 7-9 ms of blocked event loop for a 10k-series scrape (strace on
 * our 2-core machine, issue #16). 1 MiB slices with a `setImmediate` between them brought the
 * worst block from 7.9 to 2.1 ms at the same total time; 256 KiB slices gave 3.6 ms (more turns,
 * more per-write overhead); resuming straight from `'drain'` was worse than `setImmediate`, as
 * `'drain'` fires in the same turn as the write that freed the socket.
 * Rechecked with a client that costs little CPU (curl, issue #16): a 1 MiB `writev` on loopback took
 * 0.21 ms median, 0.61 ms p90, 1.78 ms at most; 256 KiB 0.12 / 0.16 / 0.34 ms, but 11.3 against
 * 7.3 ms of `writev` per scrape (perf trace, five scrapes each). Worst blocks measured no better
 * with smaller slices (25 interleaved requests each, load 0.8-1.9: 1 MiB 1.43 ms at 20.7 ms total,
 * 512 KiB 1.37 ms at 24.2 ms, 256 KiB 1.24 ms at 29.2 ms; at load 1.7: 1.69, 2.14 and 1.96 ms at
 * 29.5, 32.2 and 42.4 ms): the longest lateness came from waiting for a CPU, not from one write.
 * At 100k series (252.5 MB plain) the slices stay 1 MiB (241 writes, as the pieces are 1 MiB
 * whatever the series count) and nothing here scales with series: traced with
 * benchmarks/src/lib/scrape-trace.mjs and `perf sched` (issue #16, 2026-12-03), no GC pause in any
 * scrape window (pieces are recycled, so external memory does not grow), each `res.write` 0.02 ms
 * median (the socket is full after the first slice; libuv writes the rest from its poll phase, in
 * `writev`s of 0.055 ms median, 0.82 ms at most under strace), and the late timers were the JS
 * thread waiting for a CPU that other processes held, or woken late on a VM with steal. On a quiet
 * machine the worst block was 1.2-3 ms; the render's pool thread costs the JS thread 15-25 ms of
 * waiting for a CPU per scrape (the same body pre-rendered through this writer: ~2 ms), but the
 * pool threads at nice 10 halved that wait (11 against 24 ms) without moving the worst block (2.47
 * against 2.25 ms median, 12 interleaved requests each).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as z from 'zod/mini';
import { parseOptions } from './options.js';

/** DEFAULT_SLICE_BYTES: the most bytes handed to the socket in one write (1 MiB, measured above). */
export const DEFAULT_SLICE_BYTES = 1 << 20;

/**
 * BodySink: the part of a writable stream the writer uses; `http.ServerResponse` and every
 * `stream.Writable` fit.
 */
export interface BodySink {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(callback?: () => void): unknown;
  destroy(error?: Error): unknown;
  once(event: 'drain' | 'close' | 'finish' | 'error', listener: (...args: any[]) => void): unknown;
  off(event: 'drain' | 'close' | 'finish' | 'error', listener: (...args: any[]) => void): unknown;
  readonly destroyed: boolean;
  readonly writableEnded?: boolean;
}

/** BodySource: a whole body, or the chunks of one in order (e.g. rendered piece by piece). */
export type BodySource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** BodyWriterOptions: how `writeBody` slices and what it does with written chunks. */
export interface BodyWriterOptions {
  /**
   * sliceBytes: the bytes handed to the sink per write; a chunk's last slice may take up to a quarter
   * more (its remainder). Default `DEFAULT_SLICE_BYTES` (1 MiB).
   */
  sliceBytes?: number;
  /**
   * release: called exactly once per chunk taken from the source, when the sink no longer needs its
   * memory: all of it written, or the write failed, or the client went away before it was written.
   */
  release?: (chunk: Uint8Array) => void;
  /** end: end the sink after the last chunk (default true). */
  end?: boolean;
}

/** bodyWriterOptionsSchema: a `sliceBytes` that is not a positive integer would write empty slices and lose the body. */
const bodyWriterOptionsSchema = z.strictObject({
  sliceBytes: z.optional(z.number().check(z.int(), z.minimum(1))),
  release: z.optional(z.custom<(chunk: Uint8Array) => void>((v) => typeof v === 'function', 'expected a function')),
  end: z.optional(z.boolean()),
});

/** BodyWriteResult: what `writeBody` did. */
export interface BodyWriteResult {
  /** completed: every byte was handed to the sink and, with `end`, the sink was ended. False: the client went away first. */
  completed: boolean;
  /** bytes: bytes handed to the sink. */
  bytes: number;
}

/**
 * Whether the client went away. An `http.ServerResponse` learns of it from its socket's `'close'`,
 * a turn after the socket was destroyed; in between, its writes are dropped without calling their
 * callbacks, so the socket is checked too.
 */
const gone = (sink: BodySink) => sink.destroyed || (sink as { socket?: { destroyed?: boolean } | null }).socket?.destroyed === true;

/** Resolves on `'drain'` or `'close'`, whichever comes first (a closed sink never drains). */
function drainOrClose(sink: BodySink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.once('drain', done);
    sink.once('close', done);
  });
}

function chunksOf(source: BodySource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  if (source instanceof Uint8Array) return [source][Symbol.iterator]();
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return (source as Iterable<Uint8Array>)[Symbol.iterator]();
}

/**
 * writeBody: writes `source` to `sink` in slices of `sliceBytes` (a chunk's last slice takes up to a
 * quarter more rather than leave a sliver for a write of its own), waiting for `'drain'`
 * when the sink is full and yielding one event-loop turn (`setImmediate`) between slices, then
 * ends the sink. The JS thread is blocked for one slice's copy at a time, never for the body.
 * Each chunk is released (`options.release`) once the sink is done with it. If the client goes
 * away (the sink closes) the source is stopped (`return()` on its iterator, so a renderer can free
 * what it holds) and the result says `completed: false`. If the source throws, the sink is
 * destroyed (the client sees a cut body, never a short "complete" one) and the error is rethrown.
 * Not for concurrent use on one sink. Options that are not valid (e.g. `sliceBytes: NaN`) reject
 * with `METRICORE_INVALID_OPTION` before anything is written.
 */
export async function writeBody(sink: BodySink, source: BodySource, options: BodyWriterOptions = {}): Promise<BodyWriteResult> {
  parseOptions(bodyWriterOptionsSchema, options, 'writeBody');
  const sliceBytes = options.sliceBytes ?? DEFAULT_SLICE_BYTES;
  const release = options.release;
  const iterator = chunksOf(source);
  let bytes = 0;
  let finished = false;
  try {
    for (;;) {
      if (gone(sink)) return { completed: false, bytes };
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        break;
      }
      const chunk = next.value;
      if (gone(sink)) {
        release?.(chunk);
        return { completed: false, bytes };
      }
      await writeChunk(sink, chunk, sliceBytes, release);
      bytes += chunk.length;
    }
  } catch (error) {
    sink.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  } finally {
    // Stops a source that was not drained (client gone, or a write threw) so it frees its buffers.
    if (!finished) await iterator.return?.();
  }
  if (gone(sink)) return { completed: false, bytes };
  if (options.end ?? true) sink.end();
  return { completed: true, bytes };
}

/**
 * Writes one chunk slice by slice; the chunk is released from the callback of its last write
 * (callbacks run in order, with an error if the sink was destroyed first), or right away for the
 * part never handed to a sink that closed.
 */
async function writeChunk(sink: BodySink, chunk: Uint8Array, sliceBytes: number, release: BodyWriterOptions['release']): Promise<void> {
  if (chunk.length === 0) {
    release?.(chunk);
    return;
  }
  for (let offset = 0; offset < chunk.length; ) {
    const end = sliceEnd(chunk.length, offset, sliceBytes);
    const last = end === chunk.length;
    const full = !sink.write(chunk.subarray(offset, end), last && release ? () => release(chunk) : undefined);
    if (full) await drainOrClose(sink);
    if (gone(sink)) {
      // The slices handed over get their callbacks (with an error) from the destroyed sink; the
      // release rides on the last one, so only a chunk whose last slice was never written is released here.
      if (!last) release?.(chunk);
      return;
    }
    offset = end;
    await nextTurn();
  }
}

/**
 * Where the slice starting at `offset` ends: `sliceBytes` on, except that a remainder under a
 * quarter slice goes with it. A rendered piece is 1 MiB plus the rest of the series that crossed
 * the mark (~1 KB); written as 1 MiB and then ~1 KB it cost a second `writev`, a second HTTP chunk
 * header and a second event-loop turn per piece (strace of a 10k-series scrape: 48 writes for 24
 * pieces, issue #16).
 */
export function sliceEnd(length: number, offset: number, sliceBytes: number): number {
  const end = offset + sliceBytes;
  return length - end < sliceBytes / 4 ? length : end;
}
