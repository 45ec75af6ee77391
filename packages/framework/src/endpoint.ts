/**
 * endpoint: the node:http handler serving the exposition, with bearer-token auth, a cap on
 * concurrent scrapes and a render timeout. The body is streamed: pieces rendered on the libuv pool
 * (body-stream.ts) are written in slices with backpressure (body-writer.ts), so a scrape neither
 * blocks the event loop for the whole body nor holds it in memory.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod/mini';
import type { BodyStream } from './body-stream.js';
import { writeBody } from './body-writer.js';
import { CONTENT_TYPES, negotiate } from './exposition.js';
import type { ExpositionFormat, ListenInfo } from './hooks.js';

/** EndpointOptions: options of the `/metrics` endpoint. */
export interface EndpointOptions {
  /** path: the path served. Default "/metrics". */
  path?: string;
  /** token: when set, requests must send `Authorization: Bearer <token>` (compared in constant time), else 401. */
  token?: string;
  /** maxConcurrentScrapes: scrapes rendering or sending at once beyond which requests get 503. Default 4. */
  maxConcurrentScrapes?: number;
  /** renderTimeoutMs: a scrape whose collect and first two pieces of body (a HEAD request: the whole body) take longer gets 503. Default 10000. */
  renderTimeoutMs?: number;
}

export const endpointOptionsSchema = z.strictObject({
  path: z.optional(z.string().check(z.startsWith('/'))),
  token: z.optional(z.string().check(z.minLength(1))),
  maxConcurrentScrapes: z.optional(z.number().check(z.int(), z.minimum(1))),
  renderTimeoutMs: z.optional(z.number().check(z.int(), z.minimum(1))),
});

/** Renderer: what the endpoint needs from the host. */
export interface Renderer {
  /** renderStream: collects, then resolves the body as pieces (see `MetricsHost.renderStream`). */
  renderStream(format: ExpositionFormat, gzip: boolean): Promise<BodyStream>;
}

// node:crypto and node:http are loaded on first use, not at import: each retains about 0.24 MiB of heap
// (measured alone with --expose-gc after full collections, load average 10; issue #17), and only a
// configured token needs crypto, only `listen()` needs http (an app's own server has loaded it already).
// createRequire rather than process.getBuiltinModule, which Node 22.0-22.2 lack (engines allow them).
const load = createRequire(import.meta.url);
const crypto = () => load('node:crypto') as typeof import('node:crypto');
const digest = (value: string) => crypto().createHash('sha256').update(value).digest();

function authorized(req: IncomingMessage, expected: Buffer | undefined): boolean {
  if (expected === undefined) return true;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  // Comparing fixed-length digests keeps the comparison constant-time whatever the length sent.
  return crypto().timingSafeEqual(digest(match ? match[1].trim() : ''), expected) && match !== null;
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

/** createEndpoint: a request handler serving GET/HEAD `path`; other paths 404, other methods 405. */
export function createEndpoint(host: Renderer, options: EndpointOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const path = options.path ?? '/metrics';
  const expected = options.token === undefined ? undefined : digest(options.token);
  const maxConcurrent = options.maxConcurrentScrapes ?? 4;
  const timeoutMs = options.renderTimeoutMs ?? 10_000;
  let active = 0;

  return (req, res) => {
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0];
    if (pathname !== path) return send(res, 404, 'Not Found');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
    if (!authorized(req, expected)) return send(res, 401, 'Unauthorized', { 'www-authenticate': 'Bearer realm="metrics"' });
    if (active >= maxConcurrent) return send(res, 503, 'Too many concurrent scrapes', { 'retry-after': '1' });
    // The slot is held until the body is sent (or the client is gone), not until the timeout
    // answers: the cap bounds renders in flight and so the memory scrapes hold (a few 1 MiB pieces each).
    active++;
    const { format, gzip } = negotiate(req.headers);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      send(res, 503, `Render timed out after ${timeoutMs} ms`);
    }, timeoutMs);
    const answered = () => timedOut || res.destroyed;
    serveBody(host, req, res, format, gzip, answered, () => clearTimeout(timer)).finally(() => {
      clearTimeout(timer);
      active--;
    });
  };
}

/**
 * Renders and sends one scrape's body. `answered()` says the request needs no body any more (the
 * timeout answered it or the client left); `started()` stops the timeout once headers go out.
 */
async function serveBody(
  host: Renderer,
  req: IncomingMessage,
  res: ServerResponse,
  format: ExpositionFormat,
  gzip: boolean,
  answered: () => boolean,
  started: () => void,
): Promise<void> {
  let stream: BodyStream;
  try {
    stream = await host.renderStream(format, gzip);
  } catch (error) {
    if (!answered()) send(res, 500, `Render failed: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const held: Buffer[] = [];
  try {
    // A late or abandoned scrape renders nothing: pieces are only rendered when asked for.
    if (answered()) return;
    const headers: Record<string, string | number> = { 'content-type': CONTENT_TYPES[format], vary: 'Accept, Accept-Encoding' };
    if (gzip) headers['content-encoding'] = 'gzip';
    if (req.method === 'HEAD') {
      // The length a GET would send, without holding the body.
      for await (const piece of stream) stream.release(piece);
      if (answered()) return;
      started();
      res.writeHead(200, { ...headers, 'content-length': stream.bytes });
      res.end();
      return;
    }
    // The first two pieces decide the framing: a body of one piece gets a Content-Length, a
    // longer one goes out chunked as it is rendered.
    for (let i = 0; i < 2; i++) {
      const piece = await stream.next();
      if (piece === null) break;
      held.push(piece);
    }
    if (answered()) return;
    started();
    if (stream.completed) headers['content-length'] = held.reduce((n, piece) => n + piece.length, 0);
    res.writeHead(200, headers);
    await writeBody(res, pieces(held, stream), { release: (piece) => stream.release(piece as Buffer) });
  } catch {
    // A render that fails once the headers are out: writeBody cut the response off (the client
    // sees an incomplete body, never a short one that looks whole).
  } finally {
    for (const piece of held) stream.release(piece);
    stream.close();
  }
}

/** The pieces already taken (`first`, emptied as they are handed out), then the rest of the stream. */
async function* pieces(first: Buffer[], rest: BodyStream): AsyncGenerator<Buffer> {
  try {
    while (first.length > 0) yield first.shift() as Buffer;
    for (let piece = await rest.next(); piece !== null; piece = await rest.next()) yield piece;
  } finally {
    // Stopped early (the client left): the pieces never handed out go back now.
    for (const piece of first.splice(0)) rest.release(piece);
  }
}

/** listen: starts an HTTP server for `handler` on `host` (default 127.0.0.1) and `port` (default 9464). */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: { port?: number; host?: string; path?: string },
): Promise<{ server: Server; info: ListenInfo }> {
  const host = options.host ?? '127.0.0.1';
  const server = (load('node:http') as typeof import('node:http')).createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9464, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { server, info: { url: `http://${shown}:${port}${options.path ?? '/metrics'}`, port, host } };
}
