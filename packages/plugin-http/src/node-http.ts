/**
 * node-http: the adapter for plain `node:http` handlers. The application names the route, either
 * as one template for the whole handler or as a resolver called once when the response closes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpTracker, RouteResolver } from './tracker.js';

/** RequestHandler: a node:http request handler (what `http.createServer` takes). */
export type RequestHandler<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> = (
  req: Req,
  res: Res,
) => unknown;

/** wrapHandler: `handler` with timing around it; the wrapper returns what `handler` returns and lets its throws through. */
export function wrapHandler<Req extends IncomingMessage, Res extends ServerResponse>(
  tracker: HttpTracker,
  handler: RequestHandler<Req, Res>,
  route: string | RouteResolver<Req>,
): RequestHandler<Req, Res> {
  if (typeof route === 'string') {
    const entry = tracker.entry(route);
    return function metricoreHttp(req, res) {
      tracker.start(req, res, entry);
      return handler(req, res);
    };
  }
  return function metricoreHttp(req, res) {
    tracker.start(req, res, undefined, route, req);
    return handler(req, res);
  };
}
