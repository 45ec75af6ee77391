/**
 * host: `MetricsHost`, which owns the hooks, applies plugins, defines metrics in the native core
 * and renders the exposition.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import * as z from 'zod/mini';
import { Counter } from './counter.js';
import { normalizeDefinition, type MetricDefinition, type MetricKind, type FullDefinition } from './definition.js';
import { createEndpoint, listen, type EndpointOptions, endpointOptionsSchema } from './endpoint.js';
import { errors } from './errors.js';
import { CONTENT_TYPES, joinBodies, promClientText, type PromClientRegistryLike } from './exposition.js';
import { Gauge } from './gauge.js';
import { Histogram } from './histogram.js';
import { createHooks, type CollectContext, type ExpositionFormat, type HostHooks, type ListenInfo } from './hooks.js';
import { isolateHook, PluginErrors, type Logger } from './isolation.js';
import type { Metric } from './metric.js';
import { native } from './native.js';
import { parseOptions } from './options.js';
import { parseLabelPolicy, resolveLimits, type LabelPolicy } from './policy.js';
import { checkPlugin, type Plugin } from './plugin.js';
import { DEFAULT_FLUSH_INTERVAL_MS, flushEvery, flushRecorded } from './recorder.js';

const require = createRequire(import.meta.url);
/** How often the host asks the core to re-rank top-N labels and evict idle series. */
const UPKEEP_INTERVAL_MS = 1000;
/** FRAMEWORK_VERSION: this package's version, checked against plugins' `framework` ranges. */
export const FRAMEWORK_VERSION: string = require('../package.json').version;

/** MetricsHostOptions: everything `new MetricsHost()` takes; every option is optional. */
export interface MetricsHostOptions {
  /** plugins: applied in order; a plugin's dependencies must come before it. */
  plugins?: Plugin[];
  /** registry: name of the process-wide registry; threads naming the same one share families. Default "default". */
  registry?: string;
  /** flushIntervalMs: how often this thread applies buffered samples at least (the bound on cross-thread visibility); the thread flushes at the shortest interval of its live hosts. Default 1000. */
  flushIntervalMs?: number;
  /** collectTimeoutMs: how long a `collect` tap may take before it counts as failed. Default 5000. */
  collectTimeoutMs?: number;
  /** endpoint: options of the `/metrics` endpoint (path, token, concurrency cap, render timeout). */
  endpoint?: EndpointOptions;
  /** logger: where plugin failures are reported. Default console. */
  logger?: Logger;
  /** labelPolicy: rules keyed by label name, applied to every family carrying that label (see docs/label-policy.md). */
  labelPolicy?: LabelPolicy;
}

const hostOptionsSchema = z.strictObject({
  plugins: z.optional(z.array(z.any())),
  registry: z.optional(z.string().check(z.minLength(1))),
  flushIntervalMs: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(60_000))),
  collectTimeoutMs: z.optional(z.number().check(z.int(), z.minimum(1))),
  endpoint: z.optional(endpointOptionsSchema),
  labelPolicy: z.optional(z.unknown()),
  logger: z.optional(z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).warn === 'function', 'expected an object with a warn(message) method')),
});

/** MetricsOptions: what `host.metrics()` and `host.render()` take. */
export interface MetricsOptions {
  /** format: "text" (Prometheus 0.0.4, default) or "openmetrics" (OpenMetrics 1.0.0). */
  format?: ExpositionFormat;
}

/** MetricsHost: the metrics host of one process or thread. Cheap to create; families are process-wide per registry. */
export class MetricsHost {
  /** hooks: the host's frozen tapable hooks (see docs/hooks.md). */
  readonly hooks: HostHooks = createHooks();
  /** registry: the name of the native registry this host defines into and renders. */
  readonly registry: string;
  /** plugins: names of the plugins applied, in order. */
  readonly plugins: readonly string[] = [];

  private readonly options: Required<Pick<MetricsHostOptions, 'collectTimeoutMs' | 'logger'>> & { endpoint: EndpointOptions };
  private readonly pluginErrors: PluginErrors;
  private readonly scrapeDuration: Histogram;
  private readonly promClientRegistries: PromClientRegistryLike[] = [];
  /** Families defined while a plugin was applying, by plugin: left out when its collector fails. */
  private readonly familiesByPlugin = new Map<string, Set<number>>();
  private readonly metricsByName = new Map<string, Metric>();
  private applyingPlugin: string | undefined;
  /** Bodies that came straight from the core: their memory can go back to its render pool. */
  private readonly nativeBodies = new WeakSet<Buffer>();
  private readonly labelPolicy: LabelPolicy;
  private readonly upkeep: NodeJS.Timeout;
  private server: Server | undefined;
  private closed = false;

  constructor(options: MetricsHostOptions = {}) {
    const parsed = parseOptions(hostOptionsSchema, options, 'MetricsHost');
    this.registry = parsed.registry ?? 'default';
    this.options = {
      collectTimeoutMs: parsed.collectTimeoutMs ?? 5000,
      logger: parsed.logger ?? console,
      endpoint: parsed.endpoint ?? {},
    };
    flushEvery(this, parsed.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    this.labelPolicy = parseLabelPolicy(parsed.labelPolicy, 'MetricsHost');
    // Top-N re-ranking and TTL eviction run in the core; once a second is far below their intervals.
    this.upkeep = setInterval(() => this.maintain(), UPKEEP_INTERVAL_MS);
    this.upkeep.unref();

    const errorCounter = this.counter({
      name: 'metricore_plugin_errors_total',
      help: 'Failures of plugins, by plugin and hook (apply, define, collect, ...).',
      labelNames: ['plugin', 'hook'],
    });
    this.pluginErrors = new PluginErrors(errorCounter, this.options.logger);
    this.scrapeDuration = this.histogram({
      name: 'metricore_scrape_duration_seconds',
      help: 'Time to collect and render one scrape (recorded after it is sent).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      unit: 'seconds',
    });
    for (const [name, hook] of Object.entries(this.hooks)) {
      isolateHook(hook, name, this.pluginErrors, name === 'collect' ? this.options.collectTimeoutMs : undefined);
    }
    for (const plugin of parsed.plugins ?? []) this.use(plugin as Plugin);
  }

  /** use: checks and applies one plugin. A bad plugin (shape, duplicate, version, dependency) throws; a throwing `apply` is isolated and counted. */
  use(plugin: Plugin): this {
    checkPlugin(plugin, this.plugins, FRAMEWORK_VERSION);
    (this.plugins as string[]).push(plugin.name);
    this.applyingPlugin = plugin.name;
    try {
      plugin.apply(this);
    } catch (error) {
      this.pluginErrors.report(plugin.name, 'apply', error);
    } finally {
      this.applyingPlugin = undefined;
    }
    return this;
  }

  /** counter: defines (or finds the identical) counter family. Throws a coded TypeError/RangeError for a bad definition. */
  counter<L extends string = string>(definition: MetricDefinition<L>): Counter<L> {
    return this.define('counter', definition, (d) => new Counter<L>(d, this.registry, this.limitsOf(d)));
  }

  /** gauge: defines (or finds the identical) gauge family. */
  gauge<L extends string = string>(definition: MetricDefinition<L>): Gauge<L> {
    return this.define('gauge', definition, (d) => new Gauge<L>(d, this.registry, this.limitsOf(d)));
  }

  /** histogram: defines (or finds the identical) histogram family. Buckets default to DEFAULT_BUCKETS. */
  histogram<L extends string = string>(definition: MetricDefinition<L>): Histogram<L> {
    return this.define('histogram', definition, (d) => new Histogram<L>(d, this.registry, this.limitsOf(d)));
  }

  private limitsOf(d: FullDefinition) {
    return resolveLimits(d.name, d.kind, d.labelNames, this.labelPolicy, d.labelPolicy, d.maxSeries, d.ttlMs);
  }

  /** maintain: re-ranks top-N labels and evicts idle series now (also runs every second), then prunes child caches. */
  maintain(): void {
    if (this.closed) return;
    flushRecorded();
    native.maintain(this.registry);
    for (const metric of this.metricsByName.values()) metric.prune();
  }

  /** getMetric: the metric this host defined under `name`, if any. */
  getMetric(name: string): Metric | undefined {
    return this.metricsByName.get(name);
  }

  private define<M extends Metric>(kind: MetricKind, input: MetricDefinition, make: (d: FullDefinition) => M): M {
    const normalized = normalizeDefinition(kind, input);
    const adjusted = this.hooks.define.call(normalized) ?? normalized;
    const definition = adjusted === normalized ? normalized : normalizeDefinition(kind, adjusted);
    // The core checks for clashes and returns the same family for an identical definition;
    // reusing the JS object then keeps one child cache per family in this host.
    const created = make(definition);
    const existing = this.metricsByName.get(definition.name);
    const metric = existing !== undefined && existing.familyId === created.familyId ? (existing as M) : created;
    this.metricsByName.set(definition.name, metric);
    if (this.applyingPlugin !== undefined) {
      const owned = this.familiesByPlugin.get(this.applyingPlugin) ?? new Set<number>();
      owned.add(metric.familyId);
      this.familiesByPlugin.set(this.applyingPlugin, owned);
    }
    this.hooks.registered.call(metric as Metric);
    return metric as M;
  }

  /** attachPromClient: renders an existing prom-client Registry's metrics into the same body on every scrape. */
  attachPromClient(registry: PromClientRegistryLike): this {
    this.promClientRegistries.push(registry);
    return this;
  }

  /** logger: where the host (and plugins that want to) report failures. */
  get logger(): Logger {
    return this.options.logger;
  }

  /** contentType: the content type of the default (text 0.0.4) exposition. */
  get contentType(): string {
    return CONTENT_TYPES.text;
  }

  /** flush: applies this thread's buffered samples now (they are also applied before every render). */
  flush(): void {
    flushRecorded();
  }

  /** render: collects, applies buffered samples and renders on the libuv pool. Resolves the body (gzipped if asked). */
  async render(format: ExpositionFormat = 'text', gzip = false): Promise<Buffer> {
    if (this.closed) throw errors.hostClosed();
    const started = performance.now();
    const controller = new AbortController();
    const context: CollectContext = { format, signal: controller.signal, failedPlugins: new Set() };
    const abortTimer = setTimeout(() => controller.abort(), this.options.collectTimeoutMs);
    try {
      await this.hooks.collect.promise(context);
    } finally {
      clearTimeout(abortTimer);
    }
    flushRecorded();
    const exclude = [...context.failedPlugins].flatMap((p) => [...(this.familiesByPlugin.get(p) ?? [])]);
    let body: Buffer;
    if (this.promClientRegistries.length === 0) {
      body = await native.render(this.registry, format === 'openmetrics', gzip, exclude);
      this.nativeBodies.add(body);
    } else {
      const [nativeBody, ...extra] = await Promise.all([
        native.render(this.registry, format === 'openmetrics', false, exclude),
        ...this.promClientRegistries.map((r) => promClientText(r, format)),
      ]);
      body = await joinBodies(nativeBody as Buffer, extra as string[], format, gzip);
    }
    const durationSeconds = (performance.now() - started) / 1000;
    this.scrapeDuration.observe(durationSeconds);
    this.hooks.afterRender.call({ format, gzip, bytes: body.length, durationSeconds });
    return body;
  }

  /**
   * release: hands a body from `render()` back once it is written out and no longer used, so the
   * core reuses its memory for the next scrape. Writing a 10k-series body into fresh memory cost
   * ~20 ms of page faults against ~5 ms into a recycled buffer (our 2-core machine). Using the
   * Buffer after releasing it finds it empty. Bodies not made by the core are ignored.
   */
  release(body: Buffer): void {
    if (!this.nativeBodies.delete(body)) return;
    native.recycleBody(body.buffer as ArrayBuffer);
  }

  /** metrics: the exposition as a string (prom-client's `register.metrics()`). */
  async metrics(options: MetricsOptions = {}): Promise<string> {
    const body = await this.render(options.format ?? 'text');
    const text = body.toString('utf8');
    this.release(body);
    return text;
  }

  /** handler: a node:http request handler serving the endpoint (GET /metrics by default). */
  get handler(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void {
    return (this._handler ??= createEndpoint(this, this.options.endpoint));
  }
  private _handler: ReturnType<typeof createEndpoint> | undefined;

  /** listen: serves the endpoint on `host` (default 127.0.0.1) and `port` (default 9464; 0 picks one). */
  async listen(options: { port?: number; host?: string } = {}): Promise<ListenInfo> {
    if (this.closed) throw errors.hostClosed();
    const { server, info } = await listen(this.handler, { ...options, path: this.options.endpoint.path });
    this.server = server;
    this.hooks.listening.call(info);
    return info;
  }

  /** close: applies buffered samples, stops the endpoint and runs the close hooks. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    flushRecorded();
    this.closed = true;
    clearInterval(this.upkeep);
    flushEvery(this, undefined);
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    }
    await this.hooks.close.promise();
  }
}
