/**
 * fastify: the Fastify 5 adapter, a plugin adding one `onRequest` hook to the whole instance (it
 * is marked skip-override, as fastify-plugin would, so it is not encapsulated). The route is
 * `request.routeOptions.url`, known when the hook runs; the 404 handler has none.
 * The adapter imports nothing from fastify.
 *
 * Why a hook, and what it costs (issue #17, 2026-12-03, Node 20.20, fastify 5.12.8; hello-world
 * servers side by side on CPU 0 of the 2-core VM, one wrk -c16 each on CPU 1, 3 s runs, server CPU
 * µs per request against bare Fastify, medians of the per-run ratios). A hook-free form was built
 * and measured (commit 3decad9, reverted): each request timed from `http.server.request.start` on
 * the instance's own server, the route handed over by a wrapper each route's handler got in an
 * `onRoute` hook, errors before the handler named by an `onError` hook. With the hook / without:
 * +7.7% / +7.9% (20 runs, load average 3.1-5.0), +5.9% / +3.6% (40 runs, 8.1-9.3), +6.5% / +6.2%
 * and +7.6% / +8.3% (30 runs each, 4.1-7.8; hook-free against hook run by run -0.5% and +0.8%),
 * three servers of each +7.5 to +9.9% / +9.1 to +10.6% (20 runs); six identical bare servers
 * differed by up to 1.7%. In CPU profiles of those servers (200 µs sampling) the plugin's
 * functions and Fastify's hook runner took 3.3% of the sampled time (the runner 0.8%), the
 * hook-free plugin's functions 2.4%. No gain could be measured, and the hook-free form loses the
 * route of a response a user's hook sends without an error (a 401 from an auth hook), of a
 * connection closed before the handler, and of routes added before the plugin ran; so the hook
 * stays. Most of the overhead is not the adapter: a process subscribed to both http channels
 * doing nothing measured +2.3%, +1.0% and +2.7% in three runs (20-24 runs each, load average
 * 2-10), the same plus a small object on the response and two clock readings +4.1%, +4.3% and
 * +1.9%, the host with the plugin applied and no adapter +2.4%, +1.0%, +1.7%, the whole plugin
 * +6.4% and +7.5% in the last two (the hook-free form +5.3% in the first); an empty `onRequest`
 * hook +0.2% (12 runs), `activeRequests: false` against the default -0.0% (hook-free form, 30 runs).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PLUGIN_NAME } from './name.js';
import type { HttpTracker } from './tracker.js';

interface FastifyRequestLike {
  raw: IncomingMessage;
  is404?: boolean;
  routeOptions: { url?: string };
}
interface FastifyReplyLike {
  raw: ServerResponse;
}
type OnRequestHook = (request: FastifyRequestLike, reply: FastifyReplyLike, done: (err?: Error) => void) => void;

/** FastifyInstanceLike: the part of a Fastify instance the adapter uses. */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: OnRequestHook): unknown;
}

/** FastifyMetricsPlugin: what `app.register()` takes. */
export type FastifyMetricsPlugin = ((instance: any, options: unknown, done: (err?: Error) => void) => void) & Record<symbol, unknown>;

/**
 * routeUrl: the route template of a request, `undefined` for the 404 handler. Fastify's public
 * `request.routeOptions` getter builds a 13-field object and asks the server for its constraint
 * strategies on every call (45-75 ns per request in a CPU profile under wrk, issue #17); the
 * template it returns is `config.url` of the route context the request already holds, under
 * Fastify's `Symbol('fastify.context')`. That symbol is looked up once, on the first request;
 * when a Fastify version has none, the public getter is used.
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

/** fastifyPlugin: the plugin to `app.register()` before the routes. */
export function fastifyPlugin(tracker: HttpTracker): FastifyMetricsPlugin {
  const routeUrl = routeUrlReader();
  const onRequest: OnRequestHook = (request, reply, done) => {
    const url = routeUrl(request);
    tracker.start(request.raw, reply.raw, url === undefined ? undefined : tracker.entry(url));
    done();
  };
  const plugin = ((instance: FastifyInstanceLike, _options: unknown, done: (err?: Error) => void) => {
    instance.addHook('onRequest', onRequest);
    done();
  }) as FastifyMetricsPlugin;
  // What fastify-plugin sets: apply to the parent instance, and name the plugin in errors.
  plugin[Symbol.for('skip-override')] = true;
  plugin[Symbol.for('fastify.display-name')] = PLUGIN_NAME;
  plugin[Symbol.for('plugin-meta')] = { name: PLUGIN_NAME, fastify: '5.x' };
  return plugin;
}
