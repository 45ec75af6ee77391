/**
 * endpoint: the node:http handler serving the exposition, with bearer-token auth, a cap on
 * concurrent scrapes and a render timeout.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod/mini';
import { CONTENT_TYPES, negotiate } from './exposition.js';
import type { ExpositionFormat, ListenInfo } from './hooks.js';

/** EndpointOptions: options of the `/metrics` endpoint. */
export interface EndpointOptions {
  /** path: the path served. Default "/metrics". */
  path?: string;
  /** token: when set, requests must send `Authorization: Bearer <token>` (compared in constant time), else 401. */
  token?: string;
  /** maxConcurrentScrapes: scrapes rendering at once beyond which requests get 503. Default 4. */
  maxConcurrentScrapes?: number;
  /** renderTimeoutMs: a scrape not rendered in this time gets 503. Default 10000. */
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
  render(format: ExpositionFormat, gzip: boolean): Promise<Buffer>;
  /** release: the body was written out; its memory may be reused. */
  release?(body: Buffer): void;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function authorized(req: IncomingMessage, expected: Buffer | undefined): boolean {
  if (expected === undefined) return true;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  // Comparing fixed-length digests keeps the comparison constant-time whatever the length sent.
  return timingSafeEqual(digest(match ? match[1].trim() : ''), expected) && match !== null;
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
    // The slot is held until the render settles, not until the timeout answers: a render that
    // outlasts the timeout still runs, and the cap bounds renders, not responses.
    active++;
    const { format, gzip } = negotiate(req.headers);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      send(res, 503, `Render timed out after ${timeoutMs} ms`);
    }, timeoutMs);
    host
      .render(format, gzip)
      .then(
        (body) => {
          if (timedOut) {
            // Nobody reads a late body: its memory goes back to the pool now.
            host.release?.(body);
            return;
          }
          const headers: Record<string, string | number> = {
            'content-type': CONTENT_TYPES[format],
            'content-length': body.length,
            vary: 'Accept, Accept-Encoding',
          };
          if (gzip) headers['content-encoding'] = 'gzip';
          res.writeHead(200, headers);
          if (req.method === 'HEAD') {
            res.end();
            host.release?.(body);
          } else {
            // Released once written, never while the socket may still read it (an aborted response
            // leaves its body to the garbage collector).
            res.end(body, () => host.release?.(body));
          }
        },
        (error: unknown) => {
          if (!timedOut) send(res, 500, `Render failed: ${error instanceof Error ? error.message : String(error)}`);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        active--;
      });
  };
}

/** listen: starts an HTTP server for `handler` on `host` (default 127.0.0.1) and `port` (default 9464). */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: { port?: number; host?: string; path?: string },
): Promise<{ server: Server; info: ListenInfo }> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(handler);
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
