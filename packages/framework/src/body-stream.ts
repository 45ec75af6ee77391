/**
 * body-stream: one scrape's body as a sequence of pieces, rendered by the core on the libuv pool
 * one piece ahead of the reader, so the first bytes leave before the render ends and the process
 * never holds the whole exposition (a 100k-series body is ~230 MB of text).
 */

/** PieceSource: where the pieces come from (the core's `RenderStream`, or a whole body). */
export interface PieceSource {
  /** next: the next piece, or null once the body is complete. One call at a time. */
  next(): Promise<Buffer | null>;
  /** close: stops early and frees what the source holds. */
  close(): void;
}

/**
 * BodyStream: the pieces of one body, in order, each about 1 MiB of text (~256 KiB gzipped).
 * Iterate it once (`for await`, or `writeBody` from body-writer.ts); hand every piece back with
 * `release(piece)` once it is written, so its memory serves the next piece instead of waiting for
 * the garbage collector. Leaving the loop early (or `close()`) stops the render. Not safe to
 * share between readers; a piece must not be used after it was released (it reads as empty).
 */
export class BodyStream implements AsyncIterable<Buffer> {
  /** bytes: bytes handed out so far. */
  bytes = 0;
  /** completed: every piece was handed out. */
  completed = false;
  private prefetched: Promise<Buffer | null> | undefined;
  private closed = false;

  constructor(
    private readonly source: PieceSource,
    private readonly recycle: (piece: Buffer) => void,
    private readonly onComplete?: (bytes: number) => void,
  ) {}

  /** next: the next piece (the one after it starts rendering now), or null at the end. */
  async next(): Promise<Buffer | null> {
    if (this.closed) return null;
    const current = this.prefetched ?? this.source.next();
    this.prefetched = undefined;
    const piece = await current;
    if (piece === null) {
      this.completed = true;
      this.closed = true;
      this.onComplete?.(this.bytes);
      return null;
    }
    this.bytes += piece.length;
    if (this.closed) {
      // Closed while this piece was rendering: nobody will write it.
      this.recycle(piece);
      return null;
    }
    // Rendering the next piece overlaps writing this one (a 1 MiB piece renders in ~0.2 ms).
    this.prefetched = this.source.next();
    return piece;
  }

  /** finished: read to its end or closed; no piece will be rendered any more. */
  get finished(): boolean {
    return this.closed;
  }

  /** release: hands a written piece back to the core's render pool. */
  release(piece: Buffer): void {
    this.recycle(piece);
  }

  /** close: stops the render and frees what it holds; a piece rendering ahead is released when it arrives. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const ahead = this.prefetched;
    this.prefetched = undefined;
    this.source.close();
    ahead?.then(
      (piece) => piece && this.recycle(piece),
      () => undefined,
    );
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for (let piece = await this.next(); piece !== null; piece = await this.next()) yield piece;
    } finally {
      this.close();
    }
  }

  /** BodyStream.of: a stream of one whole body (bodies that are not rendered piece by piece). */
  static of(body: Buffer, recycle: (piece: Buffer) => void, onComplete?: (bytes: number) => void): BodyStream {
    let given = false;
    return new BodyStream(
      {
        next: async () => (given ? null : ((given = true), body)),
        close: () => undefined,
      },
      recycle,
      onComplete,
    );
  }
}
