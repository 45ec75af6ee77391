/**
 * fastify: the Fastify 5 adapter, a plugin marked skip-override (as fastify-plugin would), so it
 * applies to the instance it is registered on and every context registered after it. It adds no
 * per-request hook (issue #17; what it measured is at the end of this comment):
 *
 * - Start: the instance's own server (`instance.server`, a node:http or node:https server) is
 *   claimed (tracker.ts, claimServer): every request it serves is timed from the moment Node
 *   publishes `http.server.request.start`, before Fastify sees the request.
 * - Route: an `onRoute` hook wraps each route's handler once, at registration, in a function that
 *   hands the route's RouteEntry (found once, from the route's `url`, prefixes included) to the
 *   request's timing and calls the handler. HEAD routes Fastify adds for GET routes pass through
 *   `onRoute` too.
 * - Errors before the handler (schema validation 400, an invalid body 400/415, a body over the
 *   limit 413, an error thrown or passed to `done` by any hook): an `onError` hook, which Fastify
 *   runs only when an error is sent, sets the route from the request's route context.
 * - Everything else the handler never saw is `__unmatched__` (or ignored, by its path): the 404
 *   handler's requests, and — changed from the adapter's earlier `onRequest` hook — a response a
 *   hook sends itself without an error (an auth `onRequest` hook answering 401 with
 *   `reply.code(401).send()`), and a connection closed before the handler ran (`aborted`), as with
 *   the Express adapter's middleware-answered requests.
 * - Routes added before the plugin ran (routes declared after a `register()` that was not awaited,
 *   or in a context registered earlier) are not wrapped: their requests are `__unmatched__`. So
 *   `await app.register(http.fastify())` before the routes, as documented.
 * - Requests that bypass the server (`app.inject()`) are timed from the handler instead, and are
 *   not recorded when they never reach one (404, errors before the handler).
 *
 * An instance whose `server` is not a node:http/node:https server (`http2: true`), or that has no
 * `onRoute` hook, gets the adapter's earlier form: one instance-wide `onRequest` hook that starts
 * the timing with the route of `request`.
 * The adapter imports nothing from fastify.
 *
 * Measured (issue #17, 2026-12-03, Node 20.20, fastify 5.12.8; hello-world servers side by side on
 * CPU 0 of the 2-core VM, one wrk -c16 each on CPU 1, 3 s runs, server CPU µs per request against
 * bare Fastify, median and range of the per-run ratios): with the `onRequest` hook / without it,
 * +7.7% (+4.5 to +10.9) / +7.9% (+2.9 to +14.9) in 20 runs at load average 3.1-5.0;
 * +5.9% / +3.6% in 40 runs at 8.1-9.3; +6.5% / +6.2% and +7.6% / +8.3% in two runs of 30 at
 * 4.1-7.8, where the hook-free server against the hook's, run by run, measured -0.5% (-6.6 to +3.4)
 * and +0.8% (-3.7 to +4.6). So dropping the hook did not measurably lower the server's CPU: six
 * identical bare servers measured medians -0.2% to +1.7% against each other, about the size of
 * what it saves. In CPU profiles of those servers (200 µs sampling) the plugin's functions plus
 * Fastify's hook runner took 3.3% of the sampled time with the hook (the runner alone 0.8%) and
 * the plugin's functions 2.4% without, against a total overhead that the profiles put in Node's own
 * functions (writev, the parser) rather than in any function of the plugin. Steps added one at a
 * time to bare Fastify in the same way (20 runs, load average 4-10): a subscriber on both http
 * channels doing nothing +2.3%, plus a small object on the response +2.0%, plus the two clock
 * readings +4.1%, the host with the plugin applied but no adapter +2.4%, an empty `onRequest` hook
 * +0.2% (12 runs); `activeRequests: false` against the default -0.0% (30 runs). In one of the
 * runs of 30 the server with the hook measured +30.3% (+19.6 to +61.6) throughout while the
 * hook-free one measured +5.8%: not explained (the servers run with `--no-memory-reducer`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PLUGIN_NAME } from './name.js';
import { claimServer, type HttpTracker } from './tracker.js';

interface FastifyRequestLike {
  raw: IncomingMessage;
  is404?: boolean;
  routeOptions: { url?: string };
}
interface FastifyReplyLike {
  raw: ServerResponse;
}
type OnRequestHook = (request: FastifyRequestLike, reply: FastifyReplyLike, done: (err?: Error) => void) => void;
type OnErrorHook = (request: FastifyRequestLike, reply: FastifyReplyLike, error: unknown, done: () => void) => void;
type RouteHandler = (this: unknown, request: FastifyRequestLike, reply: FastifyReplyLike) => unknown;
interface RouteOptionsLike {
  url?: string;
  handler?: RouteHandler;
}

/** FastifyInstanceLike: the part of a Fastify instance the adapter uses. */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: OnRequestHook): unknown;
  addHook(name: 'onError', hook: OnErrorHook): unknown;
  addHook(name: 'onRoute', hook: (routeOptions: RouteOptionsLike) => void): unknown;
  server?: unknown;
}

/** FastifyMetricsPlugin: what `app.register()` takes. */
export type FastifyMetricsPlugin = ((instance: any, options: unknown, done: (err?: Error) => void) => void) & Record<symbol, unknown>;

/**
 * routeUrl: the route template of a request, `undefined` for the 404 handler. Fastify's public
 * `request.routeOptions` getter builds a 13-field object and asks the server for its constraint
 * strategies on every call (45-75 ns per request in a CPU profile under wrk, issue #17); the
 * template it returns is `config.url` of the route context the request already holds, under
 * Fastify's `Symbol('fastify.context')`. That symbol is looked up once, on the first request;
 * when a Fastify version has none, the public getter is used. Used per request only by the
 * `onRequest` form, and by the `onError` hook.
 */
function routeUrlReader(): (request: FastifyRequestLike) => string | undefined {
  let context: symbol | null | undefined;
  return (request) => {
    if (context === undefined) context = Object.getOwnPropertySymbols(request).find((s) => s.description === 'fastify.context') ?? null;
    if (context !== null) {
      const config = (request as unknown as Record<symbol, { config?: { url?: string } } | undefined>)[context]?.config;
      if (config !== undefined) return config.url;
    }
    return request.is404 ? undefined : request.routeOptions.url;
  };
}

/**
 * httpServer: whether `server` is a node:http or node:https server, whose requests Node publishes
 * on `http.server.request.start`. Both carry Node's own `Symbol(ServerResponse)` (the response
 * class they build); an HTTP/2 server has none.
 */
function isHttpServer(server: unknown): server is object {
  if (typeof server !== 'object' || server === null) return false;
  return Object.getOwnPropertySymbols(server).some((s) => s.description === 'ServerResponse');
}

/** fastifyPlugin: the plugin to `app.register()` before the routes. */
export function fastifyPlugin(tracker: HttpTracker): FastifyMetricsPlugin {
  const routeUrl = routeUrlReader();
  const onRequest: OnRequestHook = (request, reply, done) => {
    const url = routeUrl(request);
    tracker.start(request.raw, reply.raw, url === undefined ? undefined : tracker.entry(url));
    done();
  };
  const onError: OnErrorHook = (request, reply, _error, done) => {
    const url = routeUrl(request);
    if (url !== undefined) tracker.route(request.raw, reply.raw, tracker.entry(url));
    done();
  };
  const onRoute = (routeOptions: RouteOptionsLike): void => {
    const handler = routeOptions.handler;
    if (typeof handler !== 'function' || typeof routeOptions.url !== 'string') return;
    const entry = tracker.entry(routeOptions.url);
    routeOptions.handler = function metricoreRoute(this: unknown, request, reply) {
      tracker.route(request.raw, reply.raw, entry);
      return handler.call(this, request, reply);
    };
  };
  const plugin = ((instance: FastifyInstanceLike, _options: unknown, done: (err?: Error) => void) => {
    if (isHttpServer(instance.server) && claimServer(instance.server, tracker)) {
      instance.addHook('onRoute', onRoute);
      instance.addHook('onError', onError);
    } else {
      instance.addHook('onRequest', onRequest);
    }
    done();
  }) as FastifyMetricsPlugin;
  // What fastify-plugin sets: apply to the parent instance, and name the plugin in errors.
  plugin[Symbol.for('skip-override')] = true;
  plugin[Symbol.for('fastify.display-name')] = PLUGIN_NAME;
  plugin[Symbol.for('plugin-meta')] = { name: PLUGIN_NAME, fastify: '5.x' };
  return plugin;
}
