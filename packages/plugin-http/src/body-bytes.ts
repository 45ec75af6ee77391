/**
 * body-bytes: counts the response body bytes an application writes, for the opt-in response-size
 * histogram. Content-Length alone misses streamed (chunked) bodies, and Node's `writeHead(status,
 * headers)` fast path keeps no header a listener could read back. Installed only with `bodySizes`,
 * first in the chain, so compression middleware installed later is counted compressed.
 */
import type { ServerResponse } from 'node:http';

const kBytes = Symbol('metricore.http.bodyBytes');
type Counted = ServerResponse & { [kBytes]?: number };

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

// Shared functions reading `this`, so counting allocates nothing per request beyond the number.
function countingWrite(this: Counted, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  this[kBytes]! += byteLength(chunk, encoding);
  return Object.getPrototypeOf(this).write.call(this, chunk, encoding, cb);
}

function countingEnd(this: Counted, chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse {
  if (typeof chunk !== 'function') this[kBytes]! += byteLength(chunk, encoding);
  return Object.getPrototypeOf(this).end.call(this, chunk, encoding, cb);
}

/** countBodyBytes: starts counting the body bytes written to `res`. */
export function countBodyBytes(res: ServerResponse): void {
  const counted = res as Counted;
  counted[kBytes] = 0;
  (counted as { write: unknown }).write = countingWrite;
  (counted as { end: unknown }).end = countingEnd;
}

/** bodyBytes: the bytes counted so far (a HEAD response's body is never sent: 0). */
export function bodyBytes(res: ServerResponse): number {
  return res.req?.method === 'HEAD' ? 0 : ((res as Counted)[kBytes] ?? 0);
}
