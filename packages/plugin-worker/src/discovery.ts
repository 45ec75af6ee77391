/**
 * discovery: the server side of Prometheus HTTP service discovery for workers, and the worker side's
 * announcement payload.
 *
 * A worker builds an `Announcement` (its id, its `/metrics` address, its labels) and sends it to the
 * server over whatever channel the application already has (a heartbeat, a WebSocket message); the
 * server passes it to `ServiceDiscovery.announce()`. `GET` on the handler answers the list in
 * Prometheus' `http_sd_configs` format, `[{ "targets": ["host:port"], "labels": {...} }]`, with one
 * group per worker whose last announcement is younger than `timeoutMs`. A worker that stops
 * announcing leaves the list after the timeout; `leave(id)` removes it at once.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, MetricoreRangeError, parseOptions } from '@metricore/framework';
import { z } from 'zod';
import { PLUGIN_NAME } from './options.js';

/** Announcement: what a worker sends to be listed; JSON-serialisable as is. */
export interface Announcement {
  /** id: the worker's stable id (becomes the `worker` label). */
  id: string;
  /** targets: `host:port` addresses of the worker's metrics endpoint (usually one). */
  targets: string[];
  /** labels: target labels; `__metrics_path__` and `__scheme__` tell Prometheus the path and scheme. */
  labels: Record<string, string>;
}

/** TargetGroup: one entry of the `http_sd_configs` list. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** ServiceDiscoveryOptions: what `serviceDiscovery()` takes; every option is optional. */
export interface ServiceDiscoveryOptions {
  /** timeoutMs: a worker not announced for this long leaves the list. Default 30000 (announce every 10 s). */
  timeoutMs?: number;
  /** token: when set, `GET` needs `Authorization: Bearer <token>` (Prometheus' `authorization` in `http_sd_configs`), else 401. */
  token?: string;
  /** maxWorkers: announcements from new ids beyond this many are refused with a coded RangeError. Default 10000. */
  maxWorkers?: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Double-underscore labels Prometheus gives a meaning to before relabelling; other `__` names are reserved. */
const SPECIAL_LABEL = /^(__metrics_path__|__scheme__|__scrape_interval__|__scrape_timeout__|__param_[a-zA-Z0-9_]+|__meta_[a-zA-Z0-9_]+)$/;
/** host:port, with a bracketed IPv6 host allowed. */
const TARGET = /^(\[[0-9a-fA-F:.]+\]|[^\s/:[\]@?#]+):\d{1,5}$/;

/** labelProblem: why `name` cannot be a target label, or undefined when it can. */
function labelProblem(name: string): string | undefined {
  if (!LABEL_NAME.test(name)) return 'must be a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)';
  if (name.startsWith('__') && !SPECIAL_LABEL.test(name)) {
    return 'starts with "__", which Prometheus reserves; only __metrics_path__, __scheme__, __param_*, __meta_* and the scrape interval/timeout are allowed';
  }
  return undefined;
}

const labels = z.record(z.string(), z.string().max(1024)).superRefine((value, ctx) => {
  for (const name of Object.keys(value)) {
    const problem = labelProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

const announcementSchema = z
  .object({
    id: z.string().min(1).max(256),
    targets: z.array(z.string().regex(TARGET, 'must be host:port')).min(1).max(16),
    labels: labels.default({}),
  })
  .strict();

const optionsSchema = z
  .object({
    timeoutMs: z.number().int().min(1).optional(),
    token: z.string().min(1).optional(),
    maxWorkers: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * announcement: the payload a worker sends, from its metrics endpoint's `url` (e.g. what
 * `host.listen()` returned, with a routable host instead of 0.0.0.0) and its labels. Adds
 * `worker: id`, and `__metrics_path__` / `__scheme__` when the URL needs them.
 */
export function announcement(input: { id: string; url: string | URL; labels?: Record<string, string> }): Announcement {
  let url: URL;
  try {
    url = new URL(String(input.url));
  } catch {
    throw new MetricoreRangeError(ErrorCode.INVALID_OPTION, `${PLUGIN_NAME}: announcement(): url ${JSON.stringify(String(input.url))} is not a URL; pass the metrics endpoint's address, e.g. http://10.0.0.5:9464/metrics`);
  }
  const https = url.protocol === 'https:';
  if (!https && url.protocol !== 'http:') throw new MetricoreRangeError(ErrorCode.INVALID_OPTION, `${PLUGIN_NAME}: announcement(): url ${url.href} must be http: or https:`);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') {
    throw new MetricoreRangeError(ErrorCode.INVALID_OPTION, `${PLUGIN_NAME}: announcement(): url ${url.href} listens on every interface; pass the address the server reaches this worker at`);
  }
  const port = url.port || (https ? '443' : '80');
  const labels: Record<string, string> = { ...input.labels, worker: input.id };
  if (url.pathname !== '/metrics') labels.__metrics_path__ = url.pathname;
  if (https) labels.__scheme__ = 'https';
  return parseOptions(announcementSchema, { id: input.id, targets: [`${url.hostname}:${port}`], labels }, `${PLUGIN_NAME} announcement()`);
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** ServiceDiscovery: the list of announced workers, served as Prometheus HTTP SD. Lives on the server. */
export class ServiceDiscovery {
  private readonly workers = new Map<string, { group: TargetGroup; seen: number }>();
  private readonly timeoutMs: number;
  private readonly maxWorkers: number;
  private readonly expected: Buffer | undefined;
  private server: Server | undefined;

  constructor(options: ServiceDiscoveryOptions = {}) {
    const o = parseOptions(optionsSchema, options, `${PLUGIN_NAME} serviceDiscovery()`);
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.maxWorkers = o.maxWorkers ?? 10_000;
    this.expected = o.token === undefined ? undefined : digest(o.token);
  }

  /**
   * announce: lists (or refreshes) the worker of `payload` for the next `timeoutMs`. The payload is
   * checked, since it comes from the network: a bad one throws METRICORE_INVALID_OPTION naming the
   * field; a new id past `maxWorkers` throws a RangeError.
   */
  announce(payload: Announcement | unknown): void {
    const a = parseOptions(announcementSchema, payload, `${PLUGIN_NAME} announce()`);
    this.expire();
    if (!this.workers.has(a.id) && this.workers.size >= this.maxWorkers) {
      throw new MetricoreRangeError(ErrorCode.INVALID_OPTION, `${PLUGIN_NAME} announce(): worker "${a.id}" refused, ${this.maxWorkers} workers are listed already (maxWorkers)`);
    }
    this.workers.set(a.id, { group: { targets: a.targets, labels: { ...a.labels, worker: a.id } }, seen: performance.now() });
  }

  /** leave: removes worker `id` at once (e.g. when its connection closes). Returns whether it was listed. */
  leave(id: string): boolean {
    return this.workers.delete(id);
  }

  /** targets: the live list, one group per worker, sorted by id. */
  targets(): TargetGroup[] {
    this.expire();
    return [...this.workers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, w]) => w.group);
  }

  private expire(): void {
    const oldest = performance.now() - this.timeoutMs;
    for (const [id, w] of this.workers) if (w.seen < oldest) this.workers.delete(id);
  }

  /** handler: a node:http handler answering GET/HEAD with the list as JSON (any path); 405 for other methods, 401 without the token. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
      return;
    }
    if (this.expected !== undefined) {
      const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      // Fixed-length digests keep the comparison constant-time whatever was sent.
      if (!(timingSafeEqual(digest(match ? match[1].trim() : ''), this.expected) && match !== null)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="service-discovery"', 'content-type': 'text/plain; charset=utf-8' }).end('Unauthorized\n');
        return;
      }
    }
    const body = Buffer.from(JSON.stringify(this.targets()));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  /** listen: serves `handler` on its own server (default 127.0.0.1, port 0 picks one); resolves to its URL. */
  async listen(options: { port?: number; host?: string } = {}): Promise<{ url: string; port: number }> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer(this.handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`, port };
  }

  /** close: stops the server `listen` started, if any. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** serviceDiscovery: a `ServiceDiscovery` (validates options: a coded TypeError names the bad one). */
export function serviceDiscovery(options: ServiceDiscoveryOptions = {}): ServiceDiscovery {
  return new ServiceDiscovery(options);
}
