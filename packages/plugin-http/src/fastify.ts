/**
 * fastify: the Fastify 5 adapter, a plugin adding one `onRequest` hook to the whole instance (it
 * is marked skip-override, as fastify-plugin would, so it is not encapsulated). The route is
 * `request.routeOptions.url`, known when the hook runs; the 404 handler has none.
 * The adapter imports nothing from fastify.
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
