/**
 * tracker: the per-request path shared by every adapter.
 *
 * A request costs, at its start: a clock reading (`now()`, clock.ts), one small allocation (the
 * Timing), one symbol read on its socket, and (with the in-flight gauge) one gauge add into a delta
 * cell. At its end (the `http.server.response.finish` channel message for a finished response,
 * the socket's `close` for a dropped connection; see below): a second reading, the route lookup
 * (one Map.get on a template string the router hands out unchanged, so its hash is cached;
 * adapters that know the route up front skip it), one array index by method, one Map.get by
 * numeric status, and one buffered observe. No string is built per request: label values are
 * interned once, when a series is first bound. With the Express adapter, the Timing is made when
 * the request starts and the middleware only claims it (see reserveResponseSlot).
 * The opt-in body sizes add two instance properties on `res` and a byte count per write.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { GaugeChild, Histogram, HistogramChild, Gauge, MetricsHost } from '@metricore/framework';
import { bodyBytes, countBodyBytes } from './body-bytes.js';
import { now } from './clock.js';
import { METHODS, methodIndex } from './methods.js';
import { ABORTED_STATUS, NAMINGS, OTHER_ROUTE, UNMATCHED_ROUTE } from './names.js';
import type { ResolvedOptions } from './options.js';

/** RouteResolver: returns the route template of a request, or undefined when no route matched. Called once, at its end. */
export type RouteResolver<S = IncomingMessage> = (subject: S, res: ServerResponse) => string | undefined | null;

/** Status key of an aborted response in a route's series map (real codes are 100-999, classes 1-9). */
const ABORTED_KEY = -1;

interface Series {
  duration: HistogramChild;
  requestSize: HistogramChild | undefined;
  responseSize: HistogramChild | undefined;
}

/** RouteEntry: one route value and its bound series, by method index, then by status key. */
export class RouteEntry {
  readonly byMethod: Array<Map<number, Series> | undefined> = METHODS.map(() => undefined);
  constructor(
    readonly route: string,
    readonly ignored: boolean,
  ) {}
}

/** Timing: what one in-flight request carries until its response closes. */
class Timing {
  constructor(
    /** The tracker recording it; undefined before an adapter claims it (see reserveResponseSlot) and once recorded. */
    public tracker: HttpTracker | undefined,
    readonly start: number,
    readonly method: number,
    public entry: RouteEntry | undefined,
    public resolver: RouteResolver<any> | undefined,
    public subject: unknown,
    /** claimed: an adapter took it (false only between request start and the adapter, see reserveResponseSlot). */
    public claimed: boolean,
  ) {}
}

const kTiming = Symbol('metricore.http.timing');
type Tracked = ServerResponse & { [kTiming]?: Timing };
/** On a socket: true once its `close` listener is on (responses end through the channel), false when it is no net.Socket (per-response `finish` and `close` listeners). */
const kSocketHooked = Symbol('metricore.http.socketHooked');
/** On a socket: responses queued behind the one that owns it (HTTP/1.1 pipelining), see `queueIfPipelined`. */
const kQueued = Symbol('metricore.http.queued');
type HookedSocket = Socket & { [kSocketHooked]?: boolean; [kQueued]?: Tracked[]; _httpMessage?: Tracked | null };

/**
 * How a request's end is seen. Node's http server publishes `http.server.response.finish` on
 * `node:diagnostics_channel` for every response it finishes (run here on Node 20.20; Node 22 and 24
 * publish it from the same place in their http server), and one
 * subscriber shared by all requests reads the timing off the response: no listener is added per
 * request. Measured (Node 20, one core of the 2-core VM, medians of 9 to 21 repetitions of 200,000
 * simulated requests: a ServerResponse made, the `wrap` adapter, the channel message, `finish`
 * and `close` emitted as Node does, both versions in the same process): the whole plugin cost
 * 550, 290 and 220 ns per request with `res.on('close')` per request and 385, 214 and 157 ns this
 * way, in three runs at different moments (the VM's speed varied by 2x); alone, registering and
 * emitting that listener cost 59 ns against 14 ns for publishing the channel's message (issue #17). A response whose connection closes before it
 * finished never reaches the channel: one `close` listener per *socket* (added with the socket's
 * first request; keep-alive sockets carry many) records the response in flight on it, which Node
 * keeps in `socket._httpMessage` (set while a response owns the socket, cleared when it finishes).
 * Responses not on a net.Socket (test doubles such as light-my-request) and HTTP/2 compatibility
 * responses get per-response `finish` and `close` listeners instead.
 */
function onResponseFinish(message: unknown): void {
  recordOnce((message as { response: Tracked }).response, false);
}

/** recordOnce: records `res` if an adapter claimed its timing and nothing recorded it yet (a response can reach several of the ends below). */
function recordOnce(res: Tracked, aborted: boolean): void {
  const timing = res[kTiming];
  if (timing === undefined) return;
  const tracker = timing.tracker;
  if (tracker === undefined) return;
  timing.tracker = undefined;
  tracker.finish(res, timing, aborted);
}
let finishSubscribed = false;
/** subscribeFinish: subscribes once, with the first tracker, so importing the package changes nothing. */
function subscribeFinish(): void {
  if (finishSubscribed) return;
  finishSubscribed = true;
  subscribe('http.server.response.finish', onResponseFinish);
}

function onSocketClose(this: HookedSocket): void {
  const res = this._httpMessage;
  if (res !== undefined && res !== null) recordOnce(res, !res.writableFinished);
  const queued = this[kQueued];
  if (queued !== undefined) for (const waiting of queued) recordOnce(waiting, !waiting.writableFinished);
}

/**
 * queueIfPipelined: remembers `res` on its socket when another response owns the socket. Node
 * queues the responses of pipelined requests until the ones before them finish; if the connection
 * closes first they neither finish nor own the socket, so without this they were never recorded
 * and the in-flight gauge kept them forever. A request on a free socket (all but pipelined ones)
 * costs one property read; finished responses leave the queue when the next one joins it.
 */
function queueIfPipelined(socket: HookedSocket, res: Tracked): void {
  const owner = socket._httpMessage;
  if (owner === undefined || owner === null || owner === res) return;
  const queued = socket[kQueued];
  if (queued === undefined) {
    socket[kQueued] = [res];
    return;
  }
  while (queued.length > 0 && queued[0].writableFinished) queued.shift();
  queued.push(res);
}

// The fallback, for responses not on a net.Socket: `finish` records the response, a `close` still
// finding it timed means it never finished. Listeners shared by every response: no closure per request.
// (`close` alone, judged by `writableFinished`, counted every `inject()` request as aborted: a
// light-my-request response's null socket has no `writableLength`.)
function onFallbackFinish(this: Tracked): void {
  recordOnce(this, false);
}

function onFallbackClose(this: Tracked): void {
  recordOnce(this, true);
}

/**
 * reserveResponseSlot: from now on, every request to this process's http servers gets an
 * unclaimed Timing (its start time and method) on its response when Node publishes
 * `http.server.request.start`, before the 'request' event; an adapter's `start` then only claims
 * it. For Express: `app.handle` gives every `req` and `res` a new prototype (`Object.setPrototypeOf`),
 * and V8 then gives each of those objects a map of its own, so every property access on them
 * afterwards misses V8's caches, and adding one builds yet another map. Adding the timing property
 * in the middleware took 4.0 µs per request in `start` and 1.5 µs in the finish subscriber (CPU
 * profile under wrk, 2026-12-03); adding it here, while every response still shares Node's map,
 * and reading nothing else from `req` or `res` in the middleware, leaves one read of `res`.
 * Called by the Express adapter (once; the other adapters do not need it). Requests no adapter
 * claims (another server in the process) cost a clock reading and the small object.
 */
export function reserveResponseSlot(): void {
  if (slotReserved) return;
  slotReserved = true;
  subscribe('http.server.request.start', onRequestStart);
}
let slotReserved = false;
function onRequestStart(message: unknown): void {
  const { request, response, socket } = message as { request: IncomingMessage; response: Tracked; socket: HookedSocket };
  if (response[kTiming] !== undefined) return;
  response[kTiming] = new Timing(undefined, now(), methodIndex(request.method), undefined, undefined, undefined, false);
  if (socket[kSocketHooked] ?? hookSocket(socket)) queueIfPipelined(socket, response);
  else response.on('finish', onFallbackFinish).on('close', onFallbackClose);
}

/**
 * NetSocket: node:net's Socket class, loaded with the first socket (a server has loaded node:net
 * by then). Importing node:net up front loaded it and eleven internal modules in a process without
 * a server: 70 KB (require) and 90 KB (import) of the retained startup heap (startup benchmark's
 * child, framework + plugin-http + a host, 1.32 -> 1.24 MiB with import).
 */
let NetSocket: typeof Socket | undefined;

/** hookSocket: the first request on `socket` decides how its responses' ends are seen (above). */
function hookSocket(socket: HookedSocket): boolean {
  NetSocket ??= (createRequire(import.meta.url)('node:net') as typeof import('node:net')).Socket;
  const real = socket instanceof NetSocket;
  socket[kSocketHooked] = real;
  if (real) socket.on('close', onSocketClose);
  return real;
}

/** HttpTracker: owns the plugin's families and records requests; one per applied plugin. */
export class HttpTracker {
  private readonly duration: Histogram;
  private readonly active: Gauge | undefined;
  private readonly requestSize: Histogram | undefined;
  private readonly responseSize: Histogram | undefined;
  private readonly activeChildren: Array<GaugeChild | undefined> = METHODS.map(() => undefined);
  private readonly routes = new Map<string, RouteEntry>();
  private readonly ignoredPaths: ReadonlySet<string>;
  private readonly unmatchedEntry = new RouteEntry(UNMATCHED_ROUTE, false);
  private readonly ignoredEntry = new RouteEntry('', true);
  private readonly otherEntry = new RouteEntry(OTHER_ROUTE, false);
  private readonly statusClasses: boolean;
  private readonly maxRoutes: number;
  private routeCount = 0;

  constructor(host: MetricsHost, options: ResolvedOptions) {
    const n = NAMINGS[options.naming];
    const labelNames = [n.method, n.route, n.status];
    const p = options.prefix;
    subscribeFinish();
    this.statusClasses = options.statusClasses;
    this.maxRoutes = options.maxRoutes;
    this.duration = host.histogram({
      name: p + n.duration,
      help: 'Duration of HTTP server requests, from the first middleware to the end of the response, by matched route.',
      labelNames,
      buckets: options.buckets,
      unit: 'seconds',
    });
    if (options.activeRequests) {
      this.active = host.gauge({ name: p + n.active, help: 'HTTP server requests in flight.', labelNames: [n.method] });
    }
    if (options.bodySizes) {
      const size = { labelNames, buckets: options.sizeBuckets, unit: 'bytes' };
      this.requestSize = host.histogram({ name: p + n.requestSize, help: 'Size of HTTP request bodies in bytes (Content-Length; 0 without a body), by matched route.', ...size });
      this.responseSize = host.histogram({ name: p + n.responseSize, help: 'Size of HTTP response bodies in bytes, as written (streamed bodies included), by matched route.', ...size });
    }
    this.ignoredPaths = new Set(options.ignoreRoutes);
    for (const route of options.ignoreRoutes) this.routes.set(route, new RouteEntry(route, true));
    this.routes.set(UNMATCHED_ROUTE, this.unmatchedEntry);
    this.routes.set(OTHER_ROUTE, this.otherEntry);
  }

  /** entry: the RouteEntry of a route template; values beyond `maxRoutes` share `__other__`. */
  entry(route: string): RouteEntry {
    const found = this.routes.get(route);
    if (found !== undefined) return found;
    if (this.routeCount >= this.maxRoutes) return this.otherEntry;
    this.routeCount++;
    const entry = new RouteEntry(route, false);
    this.routes.set(route, entry);
    return entry;
  }

  /**
   * start: begins timing a request. `entry` when the route is known now, else `resolver(subject, res)`
   * runs once at the end; neither means unmatched. A response already tracked is left alone, so
   * two adapters on one request still record it once.
   */
  start(req: IncomingMessage, res: ServerResponse, entry?: RouteEntry, resolver?: RouteResolver<any>, subject?: unknown): void {
    const tracked = res as Tracked;
    const reserved = tracked[kTiming];
    let method: number;
    if (reserved === undefined) {
      method = methodIndex(req.method);
      tracked[kTiming] = new Timing(this, now(), method, entry, resolver, subject, true);
      // Only node:http's responses reach the channel. An HTTP/2 compatibility response (Fastify with
      // `http2: true`, `wrap` on an http2 server) has a `req.socket` that is a Proxy passing
      // `instanceof net.Socket`; it is told apart by its `stream` (node:http's responses have none,
      // and checking the class would load node:http at import). Before this check such responses
      // waited for a channel message HTTP/2 never publishes, and were never recorded.
      const socket = req.socket as HookedSocket | null;
      const hooked = socket === null || (res as { stream?: unknown }).stream !== undefined ? false : (socket[kSocketHooked] ?? hookSocket(socket));
      if (hooked) queueIfPipelined(socket!, tracked);
      else res.on('finish', onFallbackFinish).on('close', onFallbackClose);
    } else {
      // Claimed already (two adapters on one request), or recorded: leave it. Else claim the Timing made at request start.
      if (reserved.claimed) return;
      method = reserved.method;
      reserved.claimed = true;
      reserved.tracker = this;
      reserved.entry = entry;
      reserved.resolver = resolver;
      reserved.subject = subject;
    }
    if (this.requestSize !== undefined) countBodyBytes(res);
    if (this.active !== undefined) (this.activeChildren[method] ?? this.bindActive(method)).inc();
  }

  /** finish: records a response once, `aborted` when its connection closed before it finished. Never throws: it runs inside an event listener. */
  finish(res: ServerResponse, timing: Timing, aborted: boolean): void {
    const seconds = (now() - timing.start) / 1000;
    const method = timing.method;
    if (this.active !== undefined) this.activeChildren[method]!.dec();
    const entry = timing.entry ?? this.resolve(res, timing);
    if (entry.ignored) return;
    // Aborted: the connection went away first (the client gave up, or the server destroyed the socket).
    const status = aborted ? ABORTED_KEY : this.statusClasses ? (res.statusCode / 100) | 0 : res.statusCode;
    const byStatus = entry.byMethod[method] ?? (entry.byMethod[method] = new Map());
    const series = byStatus.get(status) ?? this.bind(entry, method, status, byStatus);
    if (series === undefined) return;
    series.duration.observe(seconds);
    if (series.requestSize !== undefined) this.observeSizes(series, res, status);
  }

  private resolve(res: ServerResponse, timing: Timing): RouteEntry {
    let route: string | undefined | null;
    if (timing.resolver !== undefined) {
      try {
        route = timing.resolver(timing.subject, res);
      } catch {
        route = undefined;
      }
    }
    if (route !== undefined && route !== null) return this.entry(typeof route === 'string' ? route : String(route));
    return this.isIgnoredPath(res.req) ? this.ignoredEntry : this.unmatchedEntry;
  }

  // Only unmatched requests reach this, so the one slice it may take is off the matched-route path.
  private isIgnoredPath(req: IncomingMessage | undefined): boolean {
    if (this.ignoredPaths.size === 0 || req === undefined) return false;
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
    const q = url.indexOf('?');
    return this.ignoredPaths.has(q === -1 ? url : url.slice(0, q));
  }

  private bind(entry: RouteEntry, method: number, status: number, byStatus: Map<number, Series>): Series | undefined {
    const label = status === ABORTED_KEY ? ABORTED_STATUS : this.statusClasses ? `${status}xx` : String(status);
    try {
      const series: Series = {
        duration: this.duration.labels(METHODS[method], entry.route, label),
        requestSize: this.requestSize?.labels(METHODS[method], entry.route, label),
        responseSize: this.responseSize?.labels(METHODS[method], entry.route, label),
      };
      byStatus.set(status, series);
      return series;
    } catch {
      // A label value the host rejects (e.g. by its label policy) is counted by the framework; the request is not.
      return undefined;
    }
  }

  private bindActive(method: number): GaugeChild {
    return (this.activeChildren[method] = this.active!.labels(METHODS[method]));
  }

  private observeSizes(series: Series, res: ServerResponse, status: number): void {
    const headers = res.req?.headers;
    if (headers !== undefined) {
      // Content-Length when sent; no length and no chunked encoding means no body; a chunked upload's size is unknown.
      const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : headers['transfer-encoding'] === undefined ? 0 : NaN;
      if (length >= 0) series.requestSize!.observe(length);
    }
    if (status !== ABORTED_KEY) series.responseSize!.observe(bodyBytes(res));
  }
}
