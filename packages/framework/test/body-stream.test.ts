/**
 * body-stream: pieces asked for ahead of the reader (several at once, as the core renders and
 * compresses them in parallel) come out in order, and every piece is released exactly once,
 * whether the stream is read to its end or closed with pieces still pending.
 */
import { describe, expect, it } from 'vitest';
import { BodyStream, type PieceSource } from '../src/body-stream.js';

/** A source of `count` one-byte pieces whose `next()` calls resolve in reverse order of asking, after a delay. */
function source(count: number) {
  let asked = 0;
  let pending = 0;
  let maxPending = 0;
  let closed = false;
  const src: PieceSource = {
    next() {
      const k = asked++;
      pending++;
      maxPending = Math.max(maxPending, pending);
      return new Promise((resolve) =>
        setTimeout(
          () => {
            pending--;
            resolve(k < count && !closed ? Buffer.from([k]) : null);
          },
          20 - (k % 5) * 4,
        ),
      );
    },
    close() {
      closed = true;
    },
  };
  return { src, stats: () => ({ asked, maxPending, closed }) };
}

describe('BodyStream', () => {
  for (const depth of [1, 2, 3]) {
    it(`hands out pieces in order with ${depth} rendering ahead, releasing each once`, async () => {
      const { src, stats } = source(10);
      const released: number[] = [];
      let completedBytes = -1;
      const stream = new BodyStream(src, (p) => released.push(p[0]), (bytes) => (completedBytes = bytes), depth);
      const seen: number[] = [];
      for await (const piece of stream) {
        seen.push(piece[0]);
        stream.release(piece);
      }
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(released).toEqual(seen);
      expect(completedBytes).toBe(10);
      expect(stream.completed).toBe(true);
      // At most `depth` pieces are rendering at any time (one: the prefetch of the next piece).
      expect(stats().maxPending).toBe(depth);
    });
  }

  it('releases the pieces still rendering when closed early', async () => {
    const { src, stats } = source(10);
    const released: number[] = [];
    const stream = new BodyStream(src, (p) => released.push(p[0]), undefined, 3);
    const first = (await stream.next()) as Buffer;
    stream.release(first);
    stream.close();
    expect(await stream.next()).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stats().closed).toBe(true);
    // Pieces 1 and 2 (asked with 0) were rendered before close and are released once they arrive;
    // piece 3 (asked when 0 arrived) finishes after close, so the source gives null for it.
    expect(released.sort()).toEqual([0, 1, 2]);
    expect(stats().asked).toBe(4);
    expect(stream.completed).toBe(false);
  });
});
