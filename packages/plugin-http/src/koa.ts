/**
 * koa: the Koa 3 adapter, a middleware to `app.use()` before the router. The route is
 * `ctx._matchedRoute`, which @koa/router sets (prefix included) when a route matches; it is read
 * when the response closes, so an aborted request keeps its route. The adapter imports nothing from koa.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpTracker } from './tracker.js';

/** KoaContextLike: the part of a Koa context the adapter uses. */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  _matchedRoute?: string | RegExp;
}

/** KoaMiddleware: what `app.use()` takes. */
export type KoaMiddleware = (ctx: any, next: () => Promise<unknown>) => Promise<unknown>;

const koaRoute = (ctx: KoaContextLike): string | undefined => {
  const route = ctx._matchedRoute;
  return route === undefined ? undefined : typeof route === 'string' ? route : String(route);
};

/** koaMiddleware: the middleware to `app.use()` first. */
export function koaMiddleware(tracker: HttpTracker): KoaMiddleware {
  return function metricoreHttp(ctx: KoaContextLike, next: () => Promise<unknown>) {
    tracker.start(ctx.req, ctx.res, undefined, koaRoute, ctx);
    return next();
  };
}
