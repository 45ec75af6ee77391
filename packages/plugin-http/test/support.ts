/**
 * support: what the adapter tests share: real sockets on 127.0.0.1, real clients, polling scrapes.
 */
import { Agent, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { MetricsHost } from '@metricore/framework';
import { scrapeUrl, type Scrape } from '@metricore/framework/testing';

/** serverUrl: the base URL of a server already listening on 127.0.0.1:0. */
export function serverUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** listenOn: starts `server` on 127.0.0.1 with an ephemeral port. */
export async function listenOn(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return serverUrl(server);
}

/** closeServer: stops a server and its keep-alive sockets. */
export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** get: one request; resolves status and body. */
export async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text() };
}

/**
 * getAll: every URL requested with `concurrency` keep-alive sockets; resolves the statuses.
 * node:http with a keep-alive agent measured 3.5x faster than fetch here (10k requests: 1.3 s vs 4.6 s).
 */
export async function getAll(urls: string[], concurrency = 16): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const one = (url: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const statuses = new Array<number>(urls.length);
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const i = next++;
      statuses[i] = await one(urls[i]);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return statuses;
}

/** randomId: letters and digits, like the ids that exploded other middlewares' series. */
export function randomId(length = 12): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = '';
  for (let i = 0; i < length; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}

/** Deferred: a promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * abortAfterStart: sends GET `url` and destroys the socket once `started` resolves (the handler is
 * running), like a client giving up. Resolves when the client socket is closed.
 */
export async function abortAfterStart(url: string, started: Promise<void>): Promise<void> {
  const req = request(url, { agent: false });
  const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
  req.on('error', () => {});
  req.end();
  await started;
  req.destroy();
  await closed;
}

/**
 * pipelineThenDrop: sends the requests for `paths` on one connection at once (HTTP/1.1 pipelining),
 * waits for `started`, then drops the connection with the later responses still queued behind the first.
 */
export async function pipelineThenDrop(url: string, paths: string[], started: Promise<void>): Promise<void> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`).join(''));
  await started;
  socket.destroy();
  await closed;
}

/** scrapeUntil: scrapes `url` until `done(scrape)` holds (the server sees a client's close asynchronously), at most 5 s. */
export async function scrapeUntil(url: string, done: (s: Scrape) => boolean): Promise<Scrape> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const scrape = await scrapeUrl(url);
    if (done(scrape) || Date.now() > deadline) return scrape;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** sleep: resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** endpointOf: starts the host's own /metrics endpoint on an ephemeral port; resolves its URL. */
export async function endpointOf(host: MetricsHost): Promise<string> {
  return (await host.listen({ port: 0 })).url;
}

/** D: the semconv duration metric name, for brevity. */
export const D = 'http_server_request_duration_seconds';

/** L: semconv labels of one duration series. */
export const L = (method: string, route: string, status: string) => ({
  http_request_method: method,
  http_route: route,
  http_response_status_code: status,
});
