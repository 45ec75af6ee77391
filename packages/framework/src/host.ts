/**
 * host: `MetricsHost`, which owns the hooks, applies plugins, defines metrics in the native core
 * and renders the exposition.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import * as z from 'zod/mini';
import { Counter } from './counter.js';
import { normalizeDefinition, type MetricDefinition, type MetricKind, type FullDefinition } from './definition.js';
import { BodyStream } from './body-stream.js';
import { createEndpoint, listen, type EndpointOptions, endpointOptionsSchema } from './endpoint.js';
import { errors } from './errors.js';
import { CONTENT_TYPES, joinBodies, promClientText, type PromClientRegistryLike } from './exposition.js';
import { Gauge } from './gauge.js';
import { Histogram } from './histogram.js';
import { createHooks, type CollectContext, type ExpositionFormat, type HostHooks, type ListenInfo } from './hooks.js';
import { deadline, isolateHook, PluginErrors, type Logger } from './isolation.js';
import type { Metric } from './metric.js';
import { native } from './native.js';
import { parseOptions } from './options.js';
import { parseLabelPolicy, resolveLimits, type LabelPolicy } from './policy.js';
import { checkPlugin, type Plugin } from './plugin.js';
import { promClientKind, SampleNameTable, sampleNameTable } from './sample-names.js';
import { isReservedName, PLUGIN_ERRORS, SCRAPE_DURATION } from './self-metrics.js';
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
  /** collectTimeoutMs: how long a `collect` tap may take before it counts as failed; also bounds each `close` tap. Default 5000. */
  collectTimeoutMs?: number;
  /**
   * applyTimeoutMs: how long a plugin's asynchronous `apply` may take before it counts as failed
   * (logged, counted in `metricore_plugin_errors_total{hook="apply"}`) and the host goes on, so
   * `ready()`, `listen()` and scrapes never wait forever on one plugin. Default 10000.
   */
  applyTimeoutMs?: number;
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
  applyTimeoutMs: z.optional(z.number().check(z.int(), z.minimum(1))),
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
  /**
   * hooks: the host's frozen tapable hooks (see docs/hooks.md). Made on first access, so a host
   * nobody taps never loads tapable (about 0.17 MiB of retained heap; issue #17): until then every
   * hook has no taps, and the host skips calling them.
   */
  get hooks(): HostHooks {
    if (this.madeHooks === undefined) {
      const hooks = createHooks();
      for (const [name, hook] of Object.entries(hooks)) {
        const timeoutMs = name === 'collect' || name === 'close' ? this.options.collectTimeoutMs : undefined;
        isolateHook(hook, name, this.pluginErrors, timeoutMs);
      }
      this.madeHooks = hooks;
    }
    return this.madeHooks;
  }
  private madeHooks: HostHooks | undefined;
  /** registry: the name of the native registry this host defines into and renders. */
  readonly registry: string;
  /** plugins: names of the plugins applied, in order. */
  readonly plugins: readonly string[] = [];

  private readonly options: Required<Pick<MetricsHostOptions, 'collectTimeoutMs' | 'applyTimeoutMs' | 'logger'>> & { endpoint: EndpointOptions };
  private readonly pluginErrors: PluginErrors;
  private readonly scrapeDuration: Histogram;
  private readonly promClientRegistries: PromClientRegistryLike[] = [];
  /** Gauges defined while a plugin was applying, by plugin: left out when its collector fails (see docs/hooks.md). */
  private readonly familiesByPlugin = new Map<string, Set<number>>();
  private readonly metricsByName = new Map<string, Metric>();
  /**
   * The plugin whose `apply` is running (from its call until its promise settles; applies run one
   * at a time), for gauges defined in it. A plain field, not an AsyncLocalStorage: on Node 20 and
   * 22 the first `run()` of any AsyncLocalStorage switches on an async-hooks init hook for the
   * whole process, which cost every request of a node:http hello world +6.3% server CPU on its own
   * and +8.6-9.3% with the host (+0.4-2.2% with this field; docs/plugins/http.md, 2026-12-03).
   */
  private applying: string | undefined;
  private readonly appliedPlugins = new Map<string, Plugin>();
  /** Settles when every plugin passed so far has applied (rejections are isolated, never thrown here). */
  private applied: Promise<void> = Promise.resolve();
  private pendingApplies = 0;
  private definingSelf = false;
  private readonly sampleNames: SampleNameTable;
  /** prom-client families also defined here: skipped from the attached registry's output, warned once. */
  private readonly warnedDuplicates = new Set<string>();
  /** Bodies that came straight from the core: their memory can go back to its render pool. */
  private readonly nativeBodies = new WeakSet<Buffer>();
  private readonly labelPolicy: LabelPolicy;
  private readonly upkeep: NodeJS.Timeout;
  private server: Server | undefined;
  private closed = false;

  constructor(options: MetricsHostOptions = {}) {
    const parsed = parseOptions(hostOptionsSchema, options, 'MetricsHost');
    this.registry = parsed.registry ?? 'default';
    this.sampleNames = sampleNameTable(this.registry);
    this.options = {
      collectTimeoutMs: parsed.collectTimeoutMs ?? 5000,
      applyTimeoutMs: parsed.applyTimeoutMs ?? 10_000,
      logger: parsed.logger ?? console,
      endpoint: parsed.endpoint ?? {},
    };
    flushEvery(this, parsed.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    this.labelPolicy = parseLabelPolicy(parsed.labelPolicy, 'MetricsHost');
    // Top-N re-ranking and TTL eviction run in the core; once a second is far below their intervals.
    this.upkeep = setInterval(() => this.maintain(), UPKEEP_INTERVAL_MS);
    this.upkeep.unref();

    this.definingSelf = true;
    try {
      this.pluginErrors = new PluginErrors(this.counter(PLUGIN_ERRORS), this.options.logger);
      this.scrapeDuration = this.histogram(SCRAPE_DURATION);
    } finally {
      this.definingSelf = false;
    }
    for (const plugin of parsed.plugins ?? []) this.use(plugin as Plugin);
  }

  /**
   * use: checks and applies one plugin. A bad plugin (shape, duplicate, version, dependency)
   * throws. `apply` may return a promise (`ready()` waits for it); a plugin passed while another
   * still applies waits its turn, so plugins apply in order. A throw or a rejection in `apply` is
   * isolated, logged and counted in `metricore_plugin_errors_total{hook="apply"}`, and so is a
   * promise that does not settle within `applyTimeoutMs` (the next plugin then applies).
   */
  use(plugin: Plugin): this {
    checkPlugin(plugin, this.plugins, FRAMEWORK_VERSION);
    (this.plugins as string[]).push(plugin.name);
    this.appliedPlugins.set(plugin.name, plugin);
    const apply = (): void | Promise<void> => {
      // A synchronous apply may use() another plugin, which applies at once: restore the outer name.
      const outer = this.applying;
      this.applying = plugin.name;
      try {
        const result = plugin.apply(this);
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
          // Applies run one at a time, so this plugin's name stays until its promise settles.
          const settle = (): void => {
            if (this.applying === plugin.name) this.applying = undefined;
          };
          const limit = deadline(this.options.applyTimeoutMs, () => errors.applyTimeout(plugin.name, this.options.applyTimeoutMs));
          return Promise.race([result, limit.promise]).then(
            () => {
              limit.clear();
              settle();
            },
            (error: unknown) => {
              limit.clear();
              settle();
              this.pluginErrors.report(plugin.name, 'apply', error);
            },
          );
        }
      } catch (error) {
        this.pluginErrors.report(plugin.name, 'apply', error);
      }
      this.applying = outer;
      return undefined;
    };
    // A synchronous plugin on an idle host applies now, as before; otherwise after the ones before it.
    const pending = this.pendingApplies === 0 ? apply() : this.applied.then(apply);
    if (pending !== undefined) {
      this.pendingApplies++;
      this.applied = Promise.all([this.applied, pending]).then(() => {
        this.pendingApplies--;
      });
    }
    return this;
  }

  /**
   * ready: resolves with the host once every plugin passed so far has applied, including those
   * whose `apply` returned a promise (fastify's `ready()`). Never rejects for a plugin: a failed
   * `apply` is counted and logged. `listen()`, `render()`, `metrics()` and `close()` wait for it.
   */
  async ready(): Promise<this> {
    let seen: Promise<void>;
    do {
      seen = this.applied;
      await seen;
    } while (seen !== this.applied);
    return this;
  }

  /**
   * getPlugin: the plugin applied to this host under `name` (e.g. one a config file loaded), typed
   * as the caller says; undefined when none is. The one documented way to get a plugin back.
   */
  getPlugin<P extends Plugin = Plugin>(name: string): P | undefined {
    return this.appliedPlugins.get(name) as P | undefined;
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
    const adjusted = this.madeHooks?.define.call(normalized) ?? normalized;
    const definition = adjusted === normalized ? normalized : normalizeDefinition(kind, adjusted);
    if (!this.definingSelf && isReservedName(definition.name)) throw errors.reservedName(definition.name);
    this.sampleNames.check(kind, definition.name);
    this.checkAgainstPromClient(kind, definition.name);
    // The core checks for clashes and returns the same family for an identical definition;
    // reusing the JS object then keeps one child cache per family in this host.
    const created = make(definition);
    const existing = this.metricsByName.get(definition.name);
    const metric = existing !== undefined && existing.familyId === created.familyId ? (existing as M) : created;
    this.metricsByName.set(definition.name, metric);
    this.sampleNames.claim(kind, definition.name);
    const plugin = this.applying;
    if (plugin !== undefined && kind === 'gauge') {
      const owned = this.familiesByPlugin.get(plugin) ?? new Set<number>();
      owned.add(metric.familyId);
      this.familiesByPlugin.set(plugin, owned);
    }
    this.madeHooks?.registered.call(metric as Metric);
    return metric as M;
  }

  /**
   * attachPromClient: renders an existing prom-client Registry's metrics into the same body on
   * every scrape. A prom-client family whose samples another family renders throws
   * METRICORE_SAMPLE_NAME_CLASH naming both; a family metricore defines too (same name and type,
   * e.g. `process_cpu_seconds_total` from `collectDefaultMetrics()` beside plugin-process) is left
   * out of prom-client's output, with one warning per family: metricore's copy is rendered.
   */
  attachPromClient(registry: PromClientRegistryLike): this {
    for (const metric of registry.getMetricsAsArray?.() ?? []) this.sampleNames.check(promClientKind(metric.type), metric.name);
    this.promClientRegistries.push(registry);
    return this;
  }

  /** Refuses a metricore family whose samples an attached prom-client family renders (the same family is fine: prom-client's copy is skipped). */
  private checkAgainstPromClient(kind: MetricKind, name: string): void {
    if (this.promClientRegistries.length === 0) return;
    const theirs = new SampleNameTable();
    for (const registry of this.promClientRegistries) {
      for (const metric of registry.getMetricsAsArray?.() ?? []) theirs.claim(promClientKind(metric.type), metric.name);
    }
    theirs.check(kind, name);
  }

  /** The prom-client families metricore renders too: left out of prom-client's output, warned once each. */
  private duplicatesOf(registry: PromClientRegistryLike): Set<string> {
    const skipped = new Set<string>();
    for (const metric of registry.getMetricsAsArray?.() ?? []) {
      const kind = promClientKind(metric.type);
      const owner = this.sampleNames.ownerOf(metric.name);
      if (owner === undefined || this.sampleNames.clash(kind, metric.name) !== undefined) continue;
      skipped.add(metric.name);
      skipped.add(owner.key);
      if (!this.warnedDuplicates.has(metric.name)) {
        this.warnedDuplicates.add(metric.name);
        this.options.logger.warn(
          `metricore: the attached prom-client registry and metricore both define "${metric.name}"; rendering metricore's and leaving out prom-client's`,
        );
      }
    }
    return skipped;
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

  /** Runs the collect hook and applies buffered samples: the start of every scrape. Resolves the families to leave out. */
  private async collect(format: ExpositionFormat): Promise<number[]> {
    if (this.closed) throw errors.hostClosed();
    if (this.pendingApplies > 0) await this.ready();
    const controller = new AbortController();
    const context: CollectContext = { format, signal: controller.signal, failedPlugins: new Set() };
    const timeoutMs = this.options.collectTimeoutMs;
    // The reason is what a tap that honours the signal rethrows, so the log says why it stopped.
    const abortTimer = setTimeout(() => controller.abort(errors.collectTimeout(timeoutMs)), timeoutMs);
    try {
      await this.madeHooks?.collect.promise(context);
    } finally {
      clearTimeout(abortTimer);
    }
    // Applied after collecting, before the render starts: a scrape sees every sample recorded before it.
    flushRecorded();
    return [...context.failedPlugins].flatMap((p) => [...(this.familiesByPlugin.get(p) ?? [])]);
  }

  /** Records a finished render in the scrape-duration self-metric and the afterRender hook. */
  private rendered(format: ExpositionFormat, gzip: boolean, bytes: number, started: number): void {
    const durationSeconds = (performance.now() - started) / 1000;
    this.scrapeDuration.observe(durationSeconds);
    this.madeHooks?.afterRender.call({ format, gzip, bytes, durationSeconds });
  }

  /**
   * render: collects, applies buffered samples and renders on the libuv pool. Resolves the whole
   * body (gzipped if asked) in one Buffer: as much memory as the body (~2.3 kB per 20-bucket
   * series, 230 MB for 100k series); `renderStream()` never holds more than a few MiB of it.
   */
  async render(format: ExpositionFormat = 'text', gzip = false): Promise<Buffer> {
    const started = performance.now();
    const exclude = await this.collect(format);
    const body = await this.renderWhole(format, gzip, exclude);
    this.rendered(format, gzip, body.length, started);
    return body;
  }

  private async renderWhole(format: ExpositionFormat, gzip: boolean, exclude: number[]): Promise<Buffer> {
    if (this.promClientRegistries.length === 0) {
      const body = await native.render(this.registry, format === 'openmetrics', gzip, exclude);
      this.nativeBodies.add(body);
      return body;
    }
    const [nativeBody, ...extra] = await Promise.all([
      native.render(this.registry, format === 'openmetrics', false, exclude),
      ...this.promClientRegistries.map((r) => promClientText(r, format, this.duplicatesOf(r))),
    ]);
    return joinBodies(nativeBody as Buffer, extra as string[], format, gzip);
  }

  /**
   * renderStream: collects, applies buffered samples, then resolves the body as a `BodyStream`:
   * pieces of ~1 MiB rendered on the libuv pool ahead of the reader (one ahead for text; gzip
   * pieces two ahead, compressed in parallel), so a scrape never holds the whole exposition.
   * Release each piece once written and read the stream to its end or close it (see BodyStream). The `/metrics` endpoint serves this.
   * With a prom-client registry attached the body is rendered whole and handed out as one piece.
   */
  async renderStream(format: ExpositionFormat = 'text', gzip = false): Promise<BodyStream> {
    const started = performance.now();
    const exclude = await this.collect(format);
    const done = (bytes: number) => this.rendered(format, gzip, bytes, started);
    if (this.promClientRegistries.length > 0) {
      return BodyStream.of(await this.renderWhole(format, gzip, exclude), (body) => this.release(body), done);
    }
    const source = native.renderStream(this.registry, format === 'openmetrics', gzip, exclude);
    // Gzip: two pieces compress at once on two pool threads while a third is written (in process,
    // 10k series: 19.4 against 25.1 ms median with one ahead, while another process kept one core
    // busy). Plain text renders at ~0.25 ms per MiB and waits on the client: two ahead measured the
    // same as one (HTTP 35.9 against 36.5 ms, in process 11.7 against 11.6 ms, load 4.3).
    return new BodyStream(source, (piece) => native.recycleBody(piece.buffer as ArrayBuffer), done, gzip ? 2 : 1);
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

  /**
   * metrics: the exposition as a string (prom-client's `register.metrics()`). Costs about twice
   * the body's size while it runs (the rendered Buffer, then the string) and the string's size
   * until the caller drops it: ~230 MB for 100k 20-bucket series. To send a large exposition
   * somewhere, iterate `renderStream()` instead.
   */
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
    await this.ready();
    const address = options.host ?? '127.0.0.1';
    if (this.options.endpoint.token === undefined && !isLoopback(address)) {
      this.options.logger.warn(
        `metricore: the metrics endpoint listens on ${address} without a token: anyone who reaches this address can read every metric; set endpoint.token or listen on 127.0.0.1`,
      );
    }
    const { server, info } = await listen(this.handler, { ...options, path: this.options.endpoint.path });
    this.server = server;
    this.madeHooks?.listening.call(info);
    return info;
  }

  /** close: applies buffered samples, stops the endpoint and runs the close hooks. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.ready();
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
    await this.madeHooks?.close.promise();
  }
}

/** isLoopback: whether `host` names the loopback interface only (127.0.0.0/8, ::1, localhost). */
function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  // node:net loaded here, not at import (it retains about 0.1 MiB; issue #17): only listen() asks.
  if ((require('node:net') as typeof import('node:net')).isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host.toLowerCase() === '::ffff:127.0.0.1';
}
