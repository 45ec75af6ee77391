/**
 * body-writer: slices, backpressure, turns of the event loop between slices, release of every
 * chunk exactly once, and a client going away in the middle of a body (real HTTP on 127.0.0.1).
 */
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SLICE_BYTES, sliceEnd, writeBody, type BodySource, type BodyWriteResult } from '../src/body-writer.js';
import { deferred, request, waitFor } from './helpers.js';

/** chunk: `n` bytes of a recognisable pattern (byte i of chunk k is (k * 31 + i) & 0xff). */
function chunk(k: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (k * 31 + i) & 0xff;
  return b;
}

/** Tracks chunks a source gave out and their releases. */
function tracked(chunks: Buffer[]) {
  const given: Buffer[] = [];
  const released = new Map<Buffer, number>();
  let stopped = false;
  async function* source() {
    try {
      for (const c of chunks) {
        given.push(c);
        yield c;
      }
    } finally {
      stopped = true;
    }
  }
  return {
    source,
    given,
    release: (c: Uint8Array) => released.set(c as Buffer, (released.get(c as Buffer) ?? 0) + 1),
    releasedOnce: () => given.every((c) => released.get(c) === 1) && [...released.values()].every((n) => n === 1),
    get stopped() {
      return stopped;
    },
  };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
});

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => handler(res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** A writable stream whose consumer takes one write per `consume()` call, logging write sizes. */
function slowSink(highWaterMark: number) {
  const sizes: number[] = [];
  const pending: Array<() => void> = [];
  let accepted = 0;
  let consumed = 0;
  let maxAhead = 0;
  const sink = new Writable({
    highWaterMark,
    write(c: Buffer, _enc, callback) {
      sizes.push(c.length);
      pending.push(() => {
        consumed += c.length;
        callback();
      });
    },
  });
  const originalWrite = sink.write.bind(sink);
  (sink as any).write = (c: Buffer, cb?: (e?: Error | null) => void) => {
    accepted += c.length;
    maxAhead = Math.max(maxAhead, accepted - consumed);
    return originalWrite(c, cb);
  };
  return {
    sink,
    sizes,
    consume: () => pending.shift()?.(),
    get waiting() {
      return pending.length;
    },
    get maxAhead() {
      return maxAhead;
    },
  };
}

describe('writeBody', () => {
  it('sends a body of several chunks over HTTP byte for byte and releases each chunk once', async () => {
    const chunks = [chunk(0, 2_500_000), chunk(1, 1), chunk(2, 0), chunk(3, 3 * DEFAULT_SLICE_BYTES + 17)];
    const t = tracked(chunks);
    const done = deferred<BodyWriteResult>();
    const url = await serve((res) => {
      res.writeHead(200, { 'content-length': chunks.reduce((n, c) => n + c.length, 0) });
      writeBody(res, t.source(), { release: t.release }).then(done.resolve);
    });
    const res = await request(url);
    expect(res.status).toBe(200);
    expect(res.body.equals(Buffer.concat(chunks))).toBe(true);
    expect(await done.promise).toEqual({ completed: true, bytes: res.body.length });
    await waitFor(() => t.releasedOnce(), 'every chunk released once');
    expect(t.given).toHaveLength(chunks.length);
  });

  it('accepts a whole Buffer and a plain iterable', async () => {
    const whole = chunk(7, 3_000_000);
    const url = await serve((res) => {
      const body: BodySource = res.req.url === '/?parts' ? [whole.subarray(0, 10), whole.subarray(10)] : whole;
      writeBody(res, body, { sliceBytes: 100_000 });
    });
    expect((await request(url)).body.equals(whole)).toBe(true);
    expect((await request(`${url}?parts`)).body.equals(whole)).toBe(true);
  });

  it('hands the sink a slice at a time; a remainder under a quarter slice rides with the last one', async () => {
    const s = slowSink(1 << 30);
    const slice = 64 * 1024;
    // 1,000,000 and 150,000 end in remainders above a quarter slice (16,960 and 18,928 bytes): written
    // on their own. slice + 1,000 ends in one below it: written with its slice, as one write.
    const written = writeBody(s.sink, [chunk(0, 1_000_000), chunk(1, 150_000), chunk(2, slice + 1_000)], { sliceBytes: slice });
    const finished = new Promise((resolve) => s.sink.once('finish', resolve));
    const draining = setInterval(() => s.consume(), 0);
    expect(await written).toEqual({ completed: true, bytes: 1_150_000 + slice + 1_000 });
    await finished;
    clearInterval(draining);
    expect(s.sizes.reduce((a, b) => a + b, 0)).toBe(1_150_000 + slice + 1_000);
    expect(s.sizes).toHaveLength(Math.ceil(1_000_000 / slice) + Math.ceil(150_000 / slice) + 1);
    expect(s.sizes.slice(0, -1).every((size) => size <= slice)).toBe(true);
    expect(s.sizes.at(-1)).toBe(slice + 1_000);
  });

  it('sliceEnd: a slice, or the rest of the chunk when under a quarter slice would be left', () => {
    expect(sliceEnd(1000, 0, 100)).toBe(100);
    expect(sliceEnd(1000, 875, 100)).toBe(975);
    expect(sliceEnd(1000, 900, 100)).toBe(1000);
    expect(sliceEnd(1024, 900, 100)).toBe(1024);
    expect(sliceEnd(1025, 900, 100)).toBe(1000);
    expect(sliceEnd(1024, 0, 1000)).toBe(1024);
    expect(sliceEnd(50, 0, 100)).toBe(50);
  });

  it('waits for the sink to drain: never more than a slice beyond its buffer ahead of the consumer', async () => {
    const slice = 32 * 1024;
    const hwm = 64 * 1024;
    const s = slowSink(hwm);
    let result: BodyWriteResult | undefined;
    writeBody(s.sink, [chunk(0, 1_000_000)], { sliceBytes: slice }).then((r) => (result = r));
    while (result === undefined) {
      await waitFor(() => s.waiting > 0 || result !== undefined, 'the writer to write');
      s.consume();
    }
    expect(result).toEqual({ completed: true, bytes: 1_000_000 });
    expect(s.maxAhead).toBeGreaterThan(0);
    expect(s.maxAhead).toBeLessThanOrEqual(hwm + slice);
  });

  it('refuses options that would lose the body, naming the option and the value, before writing', async () => {
    const writes: Buffer[] = [];
    const sink = new Writable({
      write(c, _enc, callback) {
        writes.push(c);
        callback();
      },
    });
    for (const [options, detail] of [
      [{ sliceBytes: Number.NaN }, 'option "sliceBytes": Invalid input: expected number, received NaN'],
      [{ sliceBytes: 0 }, 'option "sliceBytes": Too small: expected number to be >=1'],
      [{ sliceBytes: 1.5 }, 'option "sliceBytes": Invalid input: expected int, received number'],
      [{ release: 'no' }, 'option "release": expected a function'],
      [{ slice: 4096 }, 'options: Unrecognized key: "slice"'],
    ] as const) {
      await expect(writeBody(sink, [chunk(0, 4096)], options as never)).rejects.toMatchObject({
        code: 'METRICORE_INVALID_OPTION',
        message: expect.stringContaining(`writeBody: ${detail}`),
      });
    }
    expect(writes).toHaveLength(0);
  });

  it('gives the event loop a turn between slices', async () => {
    const events: string[] = [];
    const sink = new Writable({
      write(_c, _enc, callback) {
        events.push('write');
        callback();
      },
    });
    // A setImmediate chain logs one 'turn' per turn of the loop; a writer that never yields logs none between writes.
    const immediate = () => setImmediate(() => { events.push('turn'); if (events.length < 200) immediate(); });
    immediate();
    await writeBody(sink, [chunk(0, 8 * 4096)], { sliceBytes: 4096 });
    const firstWrite = events.indexOf('write');
    const lastWrite = events.lastIndexOf('write');
    const turnsBetween = events.slice(firstWrite, lastWrite).filter((e) => e === 'turn').length;
    expect(events.filter((e) => e === 'write')).toHaveLength(8);
    expect(turnsBetween).toBeGreaterThanOrEqual(7);
  });

  it('stops when the client goes away mid-body: source stopped, chunks released, server still serving', async () => {
    const chunks = Array.from({ length: 64 }, (_, k) => chunk(k, DEFAULT_SLICE_BYTES));
    const t = tracked(chunks);
    const done = deferred<BodyWriteResult>();
    const url = await serve((res) => {
      if (res.req.url === '/small') return void res.end('still here\n');
      res.writeHead(200, { 'content-length': chunks.length * DEFAULT_SLICE_BYTES });
      writeBody(res, t.source(), { release: t.release }).then(done.resolve);
    });
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(url, { agent: false }, (res) => {
        let received = 0;
        res.on('data', (c: Buffer) => {
          received += c.length;
          // Gone after the first 2 MiB: the server has most of the body still to send.
          if (received >= 2 * DEFAULT_SLICE_BYTES) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
      req.end();
    });
    const result = await done.promise;
    expect(result.completed).toBe(false);
    expect(result.bytes).toBeLessThan(chunks.length * DEFAULT_SLICE_BYTES);
    expect(t.stopped).toBe(true);
    expect(t.given.length).toBeLessThan(chunks.length);
    await waitFor(() => t.releasedOnce(), 'every chunk given out released once');
    expect((await request(`${url}small`)).body.toString()).toBe('still here\n');
  });

  it('destroys the response and rethrows when the source fails mid-body', async () => {
    const failure = new Error('render failed halfway');
    const released: Uint8Array[] = [];
    const done = deferred<unknown>();
    async function* failing() {
      yield chunk(0, 100_000);
      throw failure;
    }
    const url = await serve((res) => {
      res.writeHead(200, { 'content-length': 200_000 });
      writeBody(res, failing(), { release: (c) => released.push(c) }).catch(done.resolve);
    });
    const outcome = await request(url).then(
      () => 'complete',
      (e: Error) => e.message,
    );
    expect(outcome).not.toBe('complete');
    expect(await done.promise).toBe(failure);
    await waitFor(() => released.length === 1, 'the written chunk released');
  });
});
