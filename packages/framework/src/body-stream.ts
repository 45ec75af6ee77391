/**
 * body-stream: one scrape's body as a sequence of pieces, rendered by the core on the libuv pool
 * one or more pieces ahead of the reader, so the first bytes leave before the render ends and the process
 * never holds the whole exposition (a 100k-series body is ~230 MB of text).
 */

/** PieceSource: where the pieces come from (the core's `RenderStream`, or a whole body). */
export interface PieceSource {
  /** next: the next piece, or null once the body is complete. Several calls may be pending; they resolve in the order made. */
  next(): Promise<Buffer | null>;
  /** close: stops early and frees what the source holds. */
  close(): void;
}

/**
 * BodyStream: the pieces of one body, in order, each about 1 MiB of text (~65 KiB gzipped).
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
  /** The pieces asked for and not handed out yet, in order. */
  private readonly ahead: Promise<Buffer | null>[] = [];
  private closed = false;

  /**
   * `depth`: pieces rendering ahead of the one being handed out (at least 1). The core renders
   * pieces in order and compresses gzip pieces in parallel, so 2 keeps two pool threads busy.
   */
  constructor(
    private readonly source: PieceSource,
    private readonly recycle: (piece: Buffer) => void,
    private readonly onComplete?: (bytes: number) => void,
    private readonly depth = 1,
  ) {}

  /** next: the next piece (the ones after it start rendering now), or null at the end. */
  async next(): Promise<Buffer | null> {
    if (this.closed) return null;
    if (this.ahead.length === 0) this.fill();
    const piece = await (this.ahead.shift() as Promise<Buffer | null>);
    if (piece === null) {
      this.completed = true;
      this.close();
      this.onComplete?.(this.bytes);
      return null;
    }
    this.bytes += piece.length;
    if (this.closed) {
      // Closed while this piece was rendering: nobody will write it.
      this.recycle(piece);
      return null;
    }
    // Rendering the next pieces overlaps writing this one.
    this.fill();
    return piece;
  }

  /** Asks the source for pieces until `depth` are pending (with depth 1: one prefetched piece, as before depths existed). */
  private fill(): void {
    while (this.ahead.length < Math.max(1, this.depth)) {
      const pending = this.source.next();
      // A piece that fails while another is awaited is reported when it is awaited (or dropped by close).
      pending.catch(() => undefined);
      this.ahead.push(pending);
    }
  }

  /** finished: read to its end or closed; no piece will be rendered any more. */
  get finished(): boolean {
    return this.closed;
  }

  /** release: hands a written piece back to the core's render pool. */
  release(piece: Buffer): void {
    this.recycle(piece);
  }

  /** close: stops the render and frees what it holds; pieces rendering ahead are released when they arrive. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.source.close();
    for (const pending of this.ahead.splice(0)) {
      pending.then(
        (piece) => piece && this.recycle(piece),
        () => undefined,
      );
    }
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
