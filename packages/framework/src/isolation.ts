/**
 * isolation: wraps every tap so a throwing or hanging plugin costs only its own work. Failures
 * are counted in `metricore_plugin_errors_total{plugin,hook}` and logged once per plugin and hook.
 */
import type { Counter } from './counter.js';
import { errors } from './errors.js';
import type { CollectContext } from './hooks.js';

/** Logger: where the host reports plugin failures (default: console). */
export interface Logger {
  warn(message: string, error?: unknown): void;
  debug?(message: string, error?: unknown): void;
}

interface TapInfo {
  type: 'sync' | 'async' | 'promise';
  name: string;
  fn: (...args: any[]) => any;
}

interface Interceptable {
  intercept(interceptor: any): void;
  isUsed(): boolean;
  readonly taps: readonly unknown[];
}

/** PluginErrors: counts and logs plugin failures. */
export class PluginErrors {
  private readonly logged = new Set<string>();

  constructor(
    private readonly counter: Counter<'plugin' | 'hook'>,
    private readonly logger: Logger,
  ) {}

  /** report: counts one failure of `plugin` in `hook`, logging the first of each kind. */
  report(plugin: string, hook: string, error: unknown): void {
    this.counter.inc({ plugin, hook });
    const key = `${plugin}\u0000${hook}`;
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.logger.warn(`metricore: plugin "${plugin}" failed in ${hook} (further failures are only counted)`, error);
  }
}

/** deadline: a promise that rejects with `error()` after `ms` (its timer never keeps the process alive), and a way to call it off. */
export function deadline(ms: number, error: () => Error): { promise: Promise<never>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
    timer.unref();
  });
  return { promise, clear: () => clearTimeout(timer) };
}

function timeout(ms: number, plugin: string, hook: string): { promise: Promise<never>; clear: () => void } {
  return deadline(ms, () => errors.tapTimeout(plugin, hook, ms));
}

/** isolateHook: makes every tap of `hook` catch its own errors (and time out with METRICORE_TAP_TIMEOUT, if `timeoutMs` is set). */
export function isolateHook(hook: Interceptable, hookName: string, errors: PluginErrors, timeoutMs?: number): void {
  // tapable's isUsed() counts interceptors, so it would always say yes; only taps mean someone listens.
  hook.isUsed = () => hook.taps.length > 0;
  hook.intercept({
    register(tap: TapInfo): TapInfo {
      const original = tap.fn;
      const fail = (args: unknown[], error: unknown) => {
        errors.report(tap.name, hookName, error);
        const context = args[0] as Partial<CollectContext> | undefined;
        context?.failedPlugins?.add(tap.name);
      };
      if (tap.type === 'sync') {
        return {
          ...tap,
          fn: (...args: unknown[]) => {
            try {
              return original(...args);
            } catch (error) {
              fail(args, error);
              return undefined;
            }
          },
        };
      }
      if (tap.type === 'promise') {
        return {
          ...tap,
          fn: async (...args: unknown[]) => {
            const limit = timeoutMs === undefined ? undefined : timeout(timeoutMs, tap.name, hookName);
            try {
              const work = Promise.resolve().then(() => original(...args));
              return await (limit ? Promise.race([work, limit.promise]) : work);
            } catch (error) {
              fail(args, error);
              return undefined;
            } finally {
              limit?.clear();
            }
          },
        };
      }
      // Callback-style taps.
      return {
        ...tap,
        fn: (...args: unknown[]) => {
          const callback = args.pop() as (err?: unknown, result?: unknown) => void;
          let settled = false;
          const limit = timeoutMs === undefined ? undefined : timeout(timeoutMs, tap.name, hookName);
          const done = (err?: unknown, result?: unknown) => {
            if (settled) return;
            settled = true;
            limit?.clear();
            if (err) fail(args, err);
            callback(undefined, err ? undefined : result);
          };
          limit?.promise.catch(done);
          try {
            original(...args, done);
          } catch (error) {
            done(error);
          }
        },
      };
    },
  });
}
