/**
 * express: the Express 5 adapter. The route is the template Express matched (`req.route.path`)
 * joined with the mount paths of the routers and sub-apps above it. Those mount paths are found
 * once per route by walking the app's router stack and cached on the Route object, because
 * `req.baseUrl` holds the mounted *values* (`/orgs/42`), never the template.
 * The adapter imports nothing from express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reserveResponseSlot, type HttpTracker } from './tracker.js';

/** ExpressMiddleware: what `app.use()` takes. */
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

type PathSpec = string | RegExp | Array<string | RegExp>;
interface RouteLike {
  path: PathSpec;
}
interface LayerLike {
  route?: RouteLike;
  handle?: { stack?: LayerLike[] };
  rawPath?: PathSpec;
  match?: (path: string) => { path: string } | false;
}
interface AppLike {
  router?: { stack?: LayerLike[] };
  _router?: { stack?: LayerLike[] };
  parent?: AppLike;
  mountpath?: PathSpec;
}
interface ExpressRequest extends IncomingMessage {
  route?: RouteLike;
  baseUrl?: string;
  app?: AppLike;
}

/** A route reachable under several mount chains (a router mounted twice) keeps every chain. */
interface Candidate {
  mounts: LayerLike[];
  template: string;
}

const templates = new WeakMap<RouteLike, string | Candidate[]>();
const MAX_DEPTH = 32;

function pathText(p: PathSpec | undefined): string {
  if (p === undefined) return '';
  if (Array.isArray(p)) return p.map(pathText).join(',');
  return typeof p === 'string' ? p : String(p);
}

/** joinPath: a mount prefix and a path; a router's "/" route under a mount is the mount path itself. */
function joinPath(prefix: string, path: string): string {
  const base = prefix === '/' ? '' : prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (base === '') return path === '' ? '/' : path;
  return path === '/' || path === '' ? base : base + path;
}

function findChains(stack: LayerLike[] | undefined, target: RouteLike, mounts: LayerLike[], out: LayerLike[][], depth: number): void {
  if (stack === undefined || depth > MAX_DEPTH) return;
  for (const layer of stack) {
    if (layer.route === target) out.push(mounts);
    else if (layer.route === undefined && Array.isArray(layer.handle?.stack)) {
      findChains(layer.handle!.stack, target, [...mounts, layer], out, depth + 1);
    }
  }
}

function appPrefix(app: AppLike | undefined): string {
  let prefix = '';
  for (let a = app; a?.parent !== undefined; a = a.parent) prefix = joinPath(pathText(a.mountpath), prefix);
  return prefix;
}

function computeTemplate(req: ExpressRequest, route: RouteLike): string | Candidate[] {
  const app = req.app;
  const chains: LayerLike[][] = [];
  findChains((app?.router ?? app?._router)?.stack, route, [], chains, 0);
  const prefix = appPrefix(app);
  const toTemplate = (mounts: LayerLike[]) =>
    joinPath(mounts.reduce((acc, layer) => joinPath(acc, pathText(layer.rawPath)), prefix), pathText(route.path));
  if (chains.length <= 1) return toTemplate(chains[0] ?? []);
  return chains.map((mounts) => ({ mounts, template: toTemplate(mounts) }));
}

/** pick: the chain whose mount layers match `req.baseUrl` (rare: only for routers mounted more than once). */
function pick(candidates: Candidate[], baseUrl: string): string {
  for (const { mounts, template } of candidates) {
    let rest = baseUrl;
    const ok = mounts.every((layer) => {
      const m = layer.match?.(rest);
      if (!m) return false;
      rest = rest.slice(m.path.length);
      return true;
    });
    if (ok) return template;
  }
  return candidates[0].template;
}

/** expressRoute: the full route template of an Express request, or undefined when no route matched. */
export function expressRoute(req: ExpressRequest): string | undefined {
  const route = req.route;
  if (route === undefined || route === null) return undefined;
  let template = templates.get(route);
  if (template === undefined) templates.set(route, (template = computeTemplate(req, route)));
  return typeof template === 'string' ? template : pick(template, req.baseUrl ?? '');
}

/** expressMiddleware: the middleware to `app.use()` first, before any router. */
export function expressMiddleware(tracker: HttpTracker): ExpressMiddleware {
  reserveResponseSlot();
  return function metricoreHttp(req, res, next) {
    tracker.start(req, res, undefined, expressRoute, req);
    next();
  };
}
