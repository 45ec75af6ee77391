/**
 * plugins: apply order, plugin checks with exact codes, option validation with parseOptions,
 * plugin-owned hooks, and isolation of plugins that throw or hang.
 */
import { SyncHook } from 'tapable';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FRAMEWORK_VERSION, MetricsHost, parseOptions, z as fz, type Plugin } from '@metricore/framework';
import { createTestHost, scrapeHost, scrapeUrl } from '@metricore/framework/testing';
import { capturingLogger, closedAfterEach, expectError } from './helpers.js';

const host = closedAfterEach();

describe('plugin registration', () => {
  it('applies plugins in order, constructor plugins first, then use()', () => {
    const order: string[] = [];
    const p = (name: string, dependencies?: string[]): Plugin => ({ name, dependencies, apply: () => void order.push(name) });
    const h = host({ plugins: [p('a'), p('b', ['a']), p('c', ['a', 'b'])] });
    h.use(p('d', ['c']));
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(h.plugins).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rejects a duplicate name, an unmet framework range and a missing dependency, with codes', () => {
    const h = host();
    const noop = (name: string, extra: Partial<Plugin> = {}): Plugin => ({ name, apply() {}, ...extra });
    h.use(noop('first'));
    expectError(() => h.use(noop('first')), TypeError, 'METRICORE_PLUGIN_DUPLICATE', 'plugin "first" is registered twice; register each plugin once');
    expectError(
      () => h.use(noop('future', { framework: '^9.0.0' })),
      Error,
      'METRICORE_PLUGIN_VERSION',
      `plugin "future" needs @metricore/framework ^9.0.0, but this is ${FRAMEWORK_VERSION}; upgrade one of them`,
    );
    expectError(
      () => h.use(noop('needy', { dependencies: ['first', 'absent'] })),
      Error,
      'METRICORE_PLUGIN_DEPENDENCY',
      'plugin "needy" depends on plugin "absent", which is not registered before it; add "absent" earlier in the plugin list',
    );
    expectError(() => h.use({} as Plugin), TypeError, 'METRICORE_PLUGIN_INVALID', 'a plugin needs a non-empty string name');
    expectError(() => h.use({ name: 'no-apply' } as Plugin), TypeError, 'METRICORE_PLUGIN_INVALID', 'plugin "no-apply" needs an apply(host) function');
    expectError(() => h.use(null as never), TypeError, 'METRICORE_PLUGIN_INVALID', 'a plugin must be an object with name and apply, got object');
    // Rejected plugins were not recorded; a matching range is accepted.
    h.use(noop('current', { framework: `^${FRAMEWORK_VERSION}`, dependencies: ['first'] }));
    expect(h.plugins).toEqual(['first', 'current']);
  });

  it('constructor plugins are checked too: the dependency must come earlier in the list', () => {
    const a: Plugin = { name: 'a', apply() {} };
    const b: Plugin = { name: 'b', dependencies: ['a'], apply() {} };
    expectError(
      () => createTestHost({ plugins: [b, a] }),
      Error,
      'METRICORE_PLUGIN_DEPENDENCY',
      'plugin "b" depends on plugin "a", which is not registered before it; add "a" earlier in the plugin list',
    );
  });
});

describe('a plugin written the documented way', () => {
  const PLUGIN_NAME = '@acme/metricore-plugin-queue';
  const optionsSchema = z.object({ queues: z.array(z.string().min(1)).min(1), prefix: z.string().default('queue') }).strict();
  type QueueHooks = { depth: SyncHook<[string, number]> };
  const hooksByHost = new WeakMap<MetricsHost, QueueHooks>();
  /** The plugin's own hooks, made once per host and never added to host.hooks. */
  function getHooks(h: MetricsHost): QueueHooks {
    let hooks = hooksByHost.get(h);
    if (hooks === undefined) hooksByHost.set(h, (hooks = { depth: new SyncHook(['queue', 'depth']) }));
    return hooks;
  }
  function queuePlugin(options: unknown): Plugin {
    const { queues, prefix } = parseOptions(optionsSchema, options, PLUGIN_NAME);
    return {
      name: PLUGIN_NAME,
      framework: '^0.1.0',
      apply(h) {
        const depth = h.gauge({ name: `${prefix}_depth`, help: 'Jobs waiting, by queue.', labelNames: ['queue'] });
        const hooks = getHooks(h);
        hooks.depth.tap(PLUGIN_NAME, (queue, n) => depth.set({ queue }, n));
        h.hooks.collect.tapPromise(PLUGIN_NAME, async () => {
          for (const q of queues) hooks.depth.call(q, q.length);
        });
      },
    };
  }

  it('validates options with parseOptions and a clear, coded error', () => {
    // Our part of the message names the plugin and the option; the rest is zod's wording, not asserted.
    const optionError = (fn: () => unknown, prefix: string) =>
      expect(fn).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: expect.stringMatching(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.`)) }));
    optionError(() => queuePlugin({ queues: [] }), `${PLUGIN_NAME}: option "queues": `);
    optionError(() => queuePlugin({ queues: ['a'], typo: 1 }), `${PLUGIN_NAME}: options: `);
    optionError(() => queuePlugin(undefined), `${PLUGIN_NAME}: options: `);
  });

  it('fills scrape-time values from its collector through its own hooks', async () => {
    const h = host({ plugins: [queuePlugin({ queues: ['default', 'io'] })] });
    const seen: string[] = [];
    getHooks(h).depth.tap('app', (queue) => seen.push(queue));
    const scrape = await scrapeHost(h);
    expect(scrape.value('queue_depth', { queue: 'default' })).toBe(7);
    expect(scrape.value('queue_depth', { queue: 'io' })).toBe(2);
    expect(seen).toEqual(['default', 'io']);
    expect(Object.keys(h.hooks)).not.toContain('depth');
    expect(getHooks(h)).toBe(getHooks(h));
    expect(getHooks(host())).not.toBe(getHooks(h));
  });
});

describe("the framework's z (shared zod/mini builders)", () => {
  // A plugin builds its schema from the framework's bundled zod instead of bundling a copy (issue #17).
  const schema = fz.strictObject({
    mode: fz._default(fz.enum(['a', 'b']), 'a'),
    prefix: fz.optional(fz.string().check(fz.regex(/^[a-z_]+$/, 'prefix must be lowercase'))),
    sizes: fz._default(fz.array(fz.number().check(fz.positive())).check(fz.minLength(1)), () => [1]),
    limit: fz.optional(fz.number().check(fz.int(), fz.minimum(1), fz.maximum(10))),
  });

  it('validates and fills defaults through parseOptions', () => {
    expect(parseOptions(schema, { limit: 3 }, 'p')).toEqual({ mode: 'a', sizes: [1], limit: 3 });
  });

  it('turns a failure into METRICORE_INVALID_OPTION naming the option, with English messages', () => {
    expectError(() => parseOptions(schema, { prefix: 'A' }, 'p'), TypeError, 'METRICORE_INVALID_OPTION', 'p: option "prefix": prefix must be lowercase');
    expect(() => parseOptions(schema, { limit: 11 }, 'p')).toThrow(/^p: option "limit": Too big: expected number to be <=10$/);
    expect(() => parseOptions(schema, { mode: 'c' }, 'p')).toThrow(/^p: option "mode": Invalid option: expected one of "a"\|"b"$/);
  });
});

describe('host hooks', () => {
  it('are frozen', () => {
    const h = host();
    expect(Object.isFrozen(h.hooks)).toBe(true);
    expect(() => {
      (h.hooks as Record<string, unknown>).mine = new SyncHook();
    }).toThrow(TypeError);
    expect(Object.keys(h.hooks)).toEqual(['define', 'registered', 'collect', 'afterRender', 'listening', 'close']);
  });

  it('isUsed() is true only once something taps the hook', () => {
    const h = host();
    expect(h.hooks.afterRender.isUsed()).toBe(false);
    h.hooks.afterRender.tap('t', () => {});
    expect(h.hooks.afterRender.isUsed()).toBe(true);
  });

  it('define may adjust a definition; registered sees every metric; afterRender reports each render', async () => {
    const h = host();
    const registered: string[] = [];
    const renders: unknown[] = [];
    h.hooks.define.tap('namer', (d) => (d.kind === 'counter' ? { ...d, help: `${d.help} (team: builds)`, labelNames: [...d.labelNames, 'team'] } : d));
    h.hooks.registered.tap('t', (m) => registered.push(m.name));
    h.hooks.afterRender.tap('t', (info) => renders.push(info));
    const c = h.counter({ name: 'adjusted_total', help: 'Adjusted.' });
    expect(c.labelNames).toEqual(['team']);
    c.inc({ team: 'builds' });
    h.gauge({ name: 'untouched', help: 'U.' });
    expect(registered).toEqual(['adjusted_total', 'untouched']);
    const body = await h.metrics({ format: 'openmetrics' });
    expect(body).toContain('# HELP adjusted Adjusted. (team: builds)\n');
    expect(renders).toEqual([{ format: 'openmetrics', gzip: false, bytes: Buffer.byteLength(body), durationSeconds: expect.any(Number) }]);
  });

  it('collect receives the format and an AbortSignal that fires at collectTimeoutMs', async () => {
    const h = host({ collectTimeoutMs: 100 });
    const seen: Array<{ format: string; aborted: boolean }> = [];
    h.hooks.collect.tapPromise('watcher', async (ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      seen.push({ format: ctx.format, aborted: ctx.signal.aborted });
    });
    await h.metrics({ format: 'openmetrics' });
    expect(seen).toEqual([{ format: 'openmetrics', aborted: true }]);
  });
});

describe('isolation', () => {
  function failingPlugins() {
    let hangs = 0;
    let flaky = 0;
    const plugins: Plugin[] = [
      {
        name: 'throws-in-apply',
        apply(h) {
          h.gauge({ name: 'apply_half_done', help: 'Defined before the throw.' }).set(1);
          throw new Error('apply exploded');
        },
      },
      {
        name: 'throws-in-sync-hooks',
        apply(h) {
          h.hooks.define.tap('throws-in-sync-hooks', () => {
            throw new Error('define exploded');
          });
          h.hooks.afterRender.tap('throws-in-sync-hooks', () => {
            throw new Error('afterRender exploded');
          });
        },
      },
      {
        name: 'throws-in-collect',
        apply(h) {
          const g = h.gauge({ name: 'collect_fails_gauge', help: 'Owned by a failing collector.' });
          // Fed by events, not by the collector: its failure must not hide this counter.
          h.counter({ name: 'collect_fails_events_total', help: 'Counted outside collect.' }).inc(5);
          h.hooks.collect.tapPromise('throws-in-collect', async () => {
            g.set(1);
            throw new Error('collect exploded');
          });
        },
      },
      {
        name: 'callback-collect',
        apply(h) {
          h.gauge({ name: 'callback_fails_gauge', help: 'Owned by a failing callback collector.' }).set(3);
          h.hooks.collect.tapAsync('callback-collect', (_ctx, done) => done(new Error('callback failed')));
        },
      },
      {
        name: 'hangs-in-collect',
        apply(h) {
          h.gauge({ name: 'hang_gauge', help: 'Owned by a hanging collector.' }).set(2);
          h.hooks.collect.tapPromise('hangs-in-collect', () => {
            hangs++;
            return new Promise(() => {});
          });
        },
      },
      {
        name: 'flaky-collect',
        apply(h) {
          const g = h.gauge({ name: 'flaky_gauge', help: 'Fails on the first scrape only.' });
          h.hooks.collect.tapPromise('flaky-collect', async () => {
            if (flaky++ === 0) throw new Error('first scrape fails');
            g.set(flaky);
          });
        },
      },
      {
        name: 'healthy',
        apply(h) {
          const g = h.gauge({ name: 'healthy_gauge', help: 'Owned by a healthy collector.' });
          h.hooks.collect.tapPromise('healthy', async () => g.set(42));
        },
      },
    ];
    return { plugins, hangs: () => hangs };
  }

  it("a scrape still answers 200; failures are counted by plugin and hook, logged once; failing collectors lose their plugin's gauges for that scrape", async () => {
    const logger = capturingLogger();
    const { plugins, hangs } = failingPlugins();
    const h = host({ plugins, logger, collectTimeoutMs: 150 });
    // The throwing define tap does not stop definitions: the original passes through.
    h.counter({ name: 'after_plugins_total', help: 'Defined by the app.' }).inc();
    const { url } = await h.listen({ port: 0 });

    const first = await scrapeUrl(url);
    expect(first.value('healthy_gauge')).toBe(42);
    expect(first.value('collect_fails_events_total')).toBe(5);
    expect(first.value('after_plugins_total')).toBe(1);
    expect(first.value('apply_half_done')).toBe(1); // apply failed, but it has no failing collector
    for (const gone of ['collect_fails_gauge', 'callback_fails_gauge', 'hang_gauge', 'flaky_gauge']) {
      expect(first.family(gone), gone).toBeUndefined();
    }
    const errorsOf = (s: typeof first, plugin: string, hook: string) => s.value('metricore_plugin_errors_total', { plugin, hook });
    expect(errorsOf(first, 'throws-in-apply', 'apply')).toBe(1);
    // Seven definitions passed the throwing define tap: six by the plugins after it, one by the app.
    expect(errorsOf(first, 'throws-in-sync-hooks', 'define')).toBe(7);
    expect(errorsOf(first, 'throws-in-collect', 'collect')).toBe(1);
    expect(errorsOf(first, 'callback-collect', 'collect')).toBe(1);
    expect(errorsOf(first, 'hangs-in-collect', 'collect')).toBe(1);
    expect(errorsOf(first, 'flaky-collect', 'collect')).toBe(1);

    const second = await scrapeUrl(url);
    expect(second.value('flaky_gauge')).toBe(2); // back once its collector succeeds
    expect(second.family('hang_gauge')).toBeUndefined();
    expect(errorsOf(second, 'hangs-in-collect', 'collect')).toBe(2);
    expect(errorsOf(second, 'throws-in-collect', 'collect')).toBe(2);
    expect(errorsOf(second, 'throws-in-sync-hooks', 'afterRender')).toBe(1); // the first render's; the second is counted after it is sent
    expect(hangs()).toBe(2);

    // Logged once per plugin and hook, however often it fails.
    const logged = logger.warnings.map((w) => w.message);
    expect(logged.sort()).toEqual(
      [
        'metricore: plugin "throws-in-apply" failed in apply (further failures are only counted)',
        'metricore: plugin "throws-in-sync-hooks" failed in define (further failures are only counted)',
        'metricore: plugin "throws-in-collect" failed in collect (further failures are only counted)',
        'metricore: plugin "callback-collect" failed in collect (further failures are only counted)',
        'metricore: plugin "hangs-in-collect" failed in collect (further failures are only counted)',
        'metricore: plugin "flaky-collect" failed in collect (further failures are only counted)',
        'metricore: plugin "throws-in-sync-hooks" failed in afterRender (further failures are only counted)',
      ].sort(),
    );
    const hang = logger.warnings.find((w) => w.message.includes('hangs-in-collect'));
    expect(hang?.error).toMatchObject({ code: 'METRICORE_TAP_TIMEOUT', message: 'plugin "hangs-in-collect" collect tap timed out after 150 ms' });
  });

  it("a collect tap that honours the signal is logged with the timeout as the signal's reason", async () => {
    const logger = capturingLogger();
    const h = host({ logger, collectTimeoutMs: 50 });
    h.hooks.collect.tapPromise('honours-signal', async ({ signal }) => {
      await new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    });
    await h.metrics();
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0].error).toMatchObject({
      code: 'METRICORE_TAP_TIMEOUT',
      message: 'collect timed out after 50 ms (collectTimeoutMs); stop the work this signal guards',
    });
  });

  it('a close tap that never settles times out: close() resolves, the failure is logged and counted', async () => {
    const logger = capturingLogger();
    const h = createTestHost({ logger, collectTimeoutMs: 50 });
    const observer = host({ registry: h.registry });
    const closed: string[] = [];
    h.hooks.close.tapPromise('hangs-in-close', () => new Promise(() => {}));
    h.hooks.close.tapPromise('good-close', async () => {
      closed.push('good');
    });
    await h.close();
    expect(closed).toEqual(['good']);
    expect(logger.warnings.map((w) => w.message)).toEqual(['metricore: plugin "hangs-in-close" failed in close (further failures are only counted)']);
    expect(logger.warnings[0].error).toMatchObject({ code: 'METRICORE_TAP_TIMEOUT', message: 'plugin "hangs-in-close" close tap timed out after 50 ms' });
    const scrape = await scrapeHost(observer);
    expect(scrape.value('metricore_plugin_errors_total', { plugin: 'hangs-in-close', hook: 'close' })).toBe(1);
  });

  it('a throwing close tap does not stop close', async () => {
    const logger = capturingLogger();
    const h = createTestHost({ logger });
    const closed: string[] = [];
    h.hooks.close.tapPromise('bad-close', async () => {
      throw new Error('close exploded');
    });
    h.hooks.close.tapPromise('good-close', async () => {
      closed.push('good');
    });
    await h.close();
    expect(closed).toEqual(['good']);
    expect(logger.warnings.map((w) => w.message)).toEqual(['metricore: plugin "bad-close" failed in close (further failures are only counted)']);
  });
});

describe('asynchronous apply', () => {
  it('ready(), metrics() and listen() wait for an async apply; plugins apply in order', async () => {
    const order: string[] = [];
    const slow: Plugin = {
      name: 'slow-apply',
      async apply(h) {
        await new Promise((r) => setImmediate(r));
        h.counter({ name: 'slow_apply_total', help: 'Defined after an await.' }).inc(3);
        order.push('slow-apply');
      },
    };
    const after: Plugin = { name: 'after-slow', dependencies: ['slow-apply'], apply: () => void order.push('after-slow') };
    const h = host({ plugins: [slow, after] });
    expect(order).toEqual([]);
    expect(await h.ready()).toBe(h);
    expect(order).toEqual(['slow-apply', 'after-slow']);
    expect((await scrapeHost(h)).value('slow_apply_total')).toBe(3);
  });

  it("a gauge defined after an await in an async apply is the plugin's: left out when its collector fails; the app's later gauges are not", async () => {
    const awaiting: Plugin = {
      name: 'awaits-then-defines',
      async apply(h) {
        await new Promise((r) => setImmediate(r));
        h.gauge({ name: 'after_await_gauge', help: 'Defined after an await.' }).set(5);
        h.hooks.collect.tapPromise('awaits-then-defines', async () => {
          throw new Error('collector down');
        });
      },
    };
    const h = host({ plugins: [awaiting], logger: capturingLogger() });
    await h.ready();
    h.gauge({ name: 'app_gauge_after_ready', help: 'Defined by the app once plugins applied.' }).set(7);
    const scrape = await scrapeHost(h);
    expect(scrape.family('after_await_gauge')).toBeUndefined();
    expect(scrape.value('app_gauge_after_ready')).toBe(7);
    expect(scrape.value('metricore_plugin_errors_total', { plugin: 'awaits-then-defines', hook: 'collect' })).toBe(1);
  });

  it("a plugin that use()s another in its apply keeps its own gauges after the inner one applied", async () => {
    const inner: Plugin = { name: 'inner-plugin', apply: (h) => void h.gauge({ name: 'inner_gauge', help: 'The inner plugin.' }).set(1) };
    const outer: Plugin = {
      name: 'outer-plugin',
      apply(h) {
        h.use(inner);
        h.gauge({ name: 'outer_gauge', help: 'Defined after use(inner).' }).set(2);
        h.hooks.collect.tapPromise('outer-plugin', async () => {
          throw new Error('outer collector down');
        });
      },
    };
    const h = host({ plugins: [outer], logger: capturingLogger() });
    const scrape = await scrapeHost(h);
    expect(scrape.family('outer_gauge')).toBeUndefined();
    expect(scrape.value('inner_gauge')).toBe(1);
  });

  it('a rejecting async apply is isolated and counted like a throw, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const logger = capturingLogger();
      const h = host({
        logger,
        plugins: [
          {
            name: 'rejects-in-apply',
            async apply() {
              await Promise.resolve();
              throw new Error('async apply exploded');
            },
          },
        ],
      });
      const scrape = await scrapeHost(h);
      expect(scrape.value('metricore_plugin_errors_total', { plugin: 'rejects-in-apply', hook: 'apply' })).toBe(1);
      expect(logger.warnings.map((w) => w.message)).toEqual(['metricore: plugin "rejects-in-apply" failed in apply (further failures are only counted)']);
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an async apply that never settles times out after applyTimeoutMs: counted and logged, and the next plugin applies', async () => {
    const logger = capturingLogger();
    const order: string[] = [];
    const h = host({
      logger,
      applyTimeoutMs: 50,
      plugins: [
        { name: 'never-settles', apply: () => new Promise<void>(() => order.push('never-settles')) },
        { name: 'after-stuck', apply: () => void order.push('after-stuck') },
      ],
    });
    const started = performance.now();
    await h.ready();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(order).toEqual(['never-settles', 'after-stuck']);
    const scrape = await scrapeHost(h);
    expect(scrape.value('metricore_plugin_errors_total', { plugin: 'never-settles', hook: 'apply' })).toBe(1);
    expect(logger.warnings.map((w) => w.message)).toEqual(['metricore: plugin "never-settles" failed in apply (further failures are only counted)']);
    expect(String(logger.warnings[0].error)).toContain('plugin "never-settles" apply did not settle within 50 ms (applyTimeoutMs)');
  });

  it('getPlugin gives back the plugin applied under a name, undefined for another', () => {
    const jobs = { name: 'jobs-plugin', apply() {}, jobsOf: () => 7 };
    const h = host({ plugins: [jobs] });
    expect(h.getPlugin<typeof jobs>('jobs-plugin')?.jobsOf()).toBe(7);
    expect(h.getPlugin('missing-plugin')).toBeUndefined();
  });
});
