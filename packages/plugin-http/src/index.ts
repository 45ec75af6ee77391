/**
 * @metricore/plugin-http: per-route HTTP server latency for node:http, Express 5, Fastify 5 and
 * Koa 3, keyed by the route template the router matched, never by the raw path.
 *
 * ```ts
 * const http = httpMetrics();
 * const host = new MetricsHost({ plugins: [http] });
 * app.use(http.express());
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, MetricoreError, MetricoreTypeError, parseOptions, type MetricsHost, type Plugin } from '@metricore/framework';
import { expressMiddleware, type ExpressMiddleware } from './express.js';
import { fastifyPlugin, type FastifyMetricsPlugin } from './fastify.js';
import { koaMiddleware, type KoaMiddleware } from './koa.js';
import { PLUGIN_NAME } from './name.js';
import { wrapHandler, type RequestHandler } from './node-http.js';
import { optionsSchema, type HttpMetricsOptions } from './options.js';
import { HttpTracker, type RouteResolver } from './tracker.js';

export { PLUGIN_NAME } from './name.js';
export { SEMCONV_DURATION_BUCKETS, DEFAULT_SIZE_BUCKETS, type HttpMetricsOptions } from './options.js';
export { NAMINGS, UNMATCHED_ROUTE, OTHER_ROUTE, OTHER_METHOD, ABORTED_STATUS, type Naming } from './names.js';
export { METHODS } from './methods.js';
export { expressRoute, type ExpressMiddleware } from './express.js';
export type { FastifyMetricsPlugin } from './fastify.js';
export type { KoaMiddleware, KoaContextLike } from './koa.js';
export type { RequestHandler } from './node-http.js';
export type { RouteResolver } from './tracker.js';

/** HttpMetricsPlugin: the plugin, plus the adapters that feed it. Adapters need the plugin applied to a host first. */
export interface HttpMetricsPlugin extends Plugin {
  /** wrap: a node:http handler timed under `route` (a template) or the route `resolve(req, res)` returns when the response closes. */
  wrap<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
    handler: RequestHandler<Req, Res>,
    route: string | RouteResolver<Req>,
  ): RequestHandler<Req, Res>;
  /** express: Express 5 middleware; `app.use()` it before any router. */
  express(): ExpressMiddleware;
  /** fastify: a Fastify 5 plugin; `await app.register()` it before the routes. */
  fastify(): FastifyMetricsPlugin;
  /** koa: Koa 3 middleware for @koa/router apps; `app.use()` it before the router. */
  koa(): KoaMiddleware;
}

/**
 * httpMetricsOf: the plugin applied to `host`, for its adapters when the plugin came from a config
 * file (`metricore.config.*`) rather than from code; a thin wrapper over
 * `host.getPlugin<HttpMetricsPlugin>('@metricore/plugin-http')`. Throws METRICORE_PLUGIN_NOT_APPLIED when the host has none.
 */
export function httpMetricsOf(host: MetricsHost): HttpMetricsPlugin {
  const plugin = host.getPlugin<HttpMetricsPlugin>(PLUGIN_NAME);
  if (plugin !== undefined) return plugin;
  throw new MetricoreError(
    ErrorCode.PLUGIN_NOT_APPLIED,
    `${PLUGIN_NAME}: this host has no ${PLUGIN_NAME} applied; add it to its plugins (in code or in metricore.config.*)`,
  );
}

/** httpMetrics: the plugin factory. Throws `METRICORE_INVALID_OPTION` naming a bad option. */
export default function httpMetrics(options: HttpMetricsOptions = {}): HttpMetricsPlugin {
  const resolved = parseOptions(optionsSchema, options, PLUGIN_NAME);
  let tracker: HttpTracker | undefined;
  const applied = (adapter: string): HttpTracker => {
    if (tracker !== undefined) return tracker;
    throw new MetricoreError(
      ErrorCode.PLUGIN_NOT_APPLIED,
      `${PLUGIN_NAME}: ${adapter}() needs the plugin applied to a host first: ` +
        'pass it in `new MetricsHost({ plugins: [http] })` or call `host.use(http)` before creating adapters',
    );
  };
  const plugin: HttpMetricsPlugin = {
    name: PLUGIN_NAME,
    framework: '^0.1.0',
    apply(host: MetricsHost) {
      if (tracker !== undefined) {
        throw new MetricoreError(
          ErrorCode.PLUGIN_DUPLICATE,
          `${PLUGIN_NAME}: this plugin instance is already applied to a host; call httpMetrics() again for another host`,
        );
      }
      tracker = new HttpTracker(host, resolved);
    },
    wrap: (handler, route) => {
      if (typeof route !== 'string' && typeof route !== 'function') {
        throw new MetricoreTypeError(
          ErrorCode.INVALID_OPTION,
          `${PLUGIN_NAME}: wrap(handler, route): route must be a template string or a resolver function, got ${typeof route}`,
        );
      }
      return wrapHandler(applied('wrap'), handler, route);
    },
    express: () => expressMiddleware(applied('express')),
    fastify: () => fastifyPlugin(applied('fastify')),
    koa: () => koaMiddleware(applied('koa')),
  };
  return plugin;
}

export { httpMetrics };
