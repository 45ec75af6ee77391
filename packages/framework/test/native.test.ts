/**
 * native: errors cross the boundary with their code set in Rust (napi-rs custom status) and mapped
 * in one JS table; a Rust panic surfaces as a JS Error with a stable code; the process lives on;
 * handle bits come from the core's constants.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestHost, scrapeHost } from '@metricore/framework/testing';
import { ErrorCode, fromNativeError, MetricoreError, MetricoreRangeError, MetricoreTypeError, nativeErrorTable } from '../src/errors.js';
import type { NativeCore } from '../src/native.js';

// The core is a dependency of the framework; resolve it from there, as an application would.
const core = createRequire(createRequire(import.meta.url).resolve('@metricore/framework'))('@metricore/core-native') as NativeCore;

function thrown(f: () => unknown): Error & { code?: unknown } {
  try {
    f();
  } catch (error) {
    return error as Error & { code?: unknown };
  }
  throw new Error('expected a throw');
}

describe('native core', () => {
  it('a panic becomes a JS Error with code METRICORE_NATIVE_PANIC, and the process keeps working', async () => {
    const caught = thrown(() => core.triggerPanic());
    expect(caught).toBeInstanceOf(Error);
    expect(caught.code).toBe('METRICORE_NATIVE_PANIC');
    expect(caught.message).toBe('native core panicked: deliberate panic for tests');
    // Again, and the core still records and renders afterwards.
    expect(thrown(() => core.triggerPanic()).code).toBe('METRICORE_NATIVE_PANIC');
    const host = createTestHost();
    host.counter({ name: 'after_panic_total', help: 'Recorded after a panic.' }).inc(2);
    expect((await scrapeHost(host)).value('after_panic_total')).toBe(2);
    await host.close();
  });
});

describe('errors across the boundary', () => {
  it('every code the core sets has one entry in the JS table, and nothing else is in it', () => {
    expect(Object.keys(nativeErrorTable).sort()).toEqual([...core.nativeErrorCodes()].sort());
    for (const code of core.nativeErrorCodes()) expect(Object.values(ErrorCode)).toContain(code);
  });

  it('a clash arrives with its code set in Rust and keeps the message that names the metric', () => {
    const def = { registry: 'native-test-clash', kind: 'counter', name: 'clash_total', help: 'h', labelNames: ['a'] };
    core.defineFamily(def);
    const raw = thrown(() => core.defineFamily({ ...def, labelNames: ['b'] }));
    expect(raw.code).toBe('METRICORE_FAMILY_CLASH');
    expect(raw.message).toBe('metric "clash_total" is already defined with labels [a], not [b]; use the same definition or another name');
    const mapped = fromNativeError('clash_total', raw) as MetricoreTypeError;
    expect(mapped).toBeInstanceOf(TypeError);
    expect(mapped.code).toBe(ErrorCode.FAMILY_CLASH);
    expect(mapped.message).toBe(raw.message);
  });

  it('a wrong label count arrives as METRICORE_LABEL_COUNT and maps to a RangeError', () => {
    const id = core.defineFamily({ registry: 'native-test-count', kind: 'gauge', name: 'count_g', help: 'h', labelNames: ['a', 'b'] });
    const raw = thrown(() => core.bindSeries(id, ['x']));
    expect(raw.code).toBe('METRICORE_LABEL_COUNT');
    expect(raw.message).toBe('metric "count_g" expects 2 label values, got 1');
    const mapped = fromNativeError('count_g', raw);
    expect(mapped).toBeInstanceOf(MetricoreRangeError);
    expect((mapped as MetricoreRangeError).code).toBe(ErrorCode.LABEL_COUNT);
  });

  it('an unknown top-N weight is a definition error naming the metric and the value, not silently "samples"', () => {
    const raw = thrown(() =>
      core.defineFamily({
        registry: 'native-test-weight',
        kind: 'counter',
        name: 'bytes_total',
        help: 'h',
        labelNames: ['org'],
        labelRules: [{ topN: 3, weight: 'bytes' }],
      }),
    );
    expect(raw.code).toBe('METRICORE_INVALID_DEFINITION');
    expect(raw.message).toBe('metric "bytes_total": label rule weight "bytes" is not "samples" or "value"');
    expect((fromNativeError('bytes_total', raw) as MetricoreTypeError).code).toBe(ErrorCode.INVALID_DEFINITION);
  });

  it('an unknown family id arrives as METRICORE_UNKNOWN_FAMILY', () => {
    const raw = thrown(() => core.retiredSeries(0xfffffff));
    expect(raw.code).toBe('METRICORE_UNKNOWN_FAMILY');
    expect(raw.message).toBe('no metric family with id 268435455');
  });

  it('SERIES_TABLE_FULL maps to its own coded RangeError', () => {
    const message = `metric "m": the process-wide series table is full (${core.MAX_SERIES} series); lower the families' maxSeries or add a label policy`;
    const mapped = fromNativeError('m', Object.assign(new Error(message), { code: 'METRICORE_SERIES_TABLE_FULL' }));
    expect(mapped).toBeInstanceOf(MetricoreRangeError);
    expect((mapped as MetricoreRangeError).code).toBe(ErrorCode.SERIES_TABLE_FULL);
    expect(mapped.message).toBe(message);
  });

  it('an error without a core code (a napi-rs status) becomes METRICORE_NATIVE_ERROR naming the metric', () => {
    const raw = thrown(() => core.bindSeries(0, 42 as unknown as string[]));
    expect(typeof raw.code).toBe('string');
    expect(Object.keys(nativeErrorTable)).not.toContain(raw.code);
    const mapped = fromNativeError('some_metric', raw) as MetricoreError;
    expect(mapped.code).toBe(ErrorCode.NATIVE_ERROR);
    expect(mapped.message.startsWith('metric "some_metric": ')).toBe(true);
  });
});

describe('constants from the core', () => {
  it('handle bits and the reserved prefix are the core\'s', () => {
    expect(core.FOLDED).toBe(2 ** 30);
    expect(core.SET_FLAG).toBe(2 ** 31);
    expect(core.SELF_METRIC_PREFIX).toBe('metricore_');
    expect(core.selfMetricNames()).toEqual([
      'metricore_series',
      'metricore_rejected_samples_total',
      'metricore_label_values_folded_total',
      'metricore_series_evicted_total',
      'metricore_topn_changes_total',
      'metricore_topn_threshold',
    ]);
  });
});

describe('a missing native binary', () => {
  it('makes importing the framework throw one error that says how to build the core', () => {
    // An install where the core's package is there but its .node binary was never built.
    const require = createRequire(import.meta.url);
    const frameworkDir = dirname(require.resolve('@metricore/framework/package.json'));
    const coreDir = dirname(createRequire(join(frameworkDir, 'package.json')).resolve('@metricore/core-native/package.json'));
    const dir = mkdtempSync(join(tmpdir(), 'metricore-no-native-'));
    try {
      const modules = join(dir, 'node_modules');
      mkdirSync(join(modules, '@metricore', 'framework'), { recursive: true });
      cpSync(join(frameworkDir, 'dist'), join(modules, '@metricore', 'framework', 'dist'), { recursive: true });
      cpSync(join(frameworkDir, 'package.json'), join(modules, '@metricore', 'framework', 'package.json'));
      mkdirSync(join(modules, '@metricore', 'core-native'));
      for (const f of ['index.js', 'package.json']) cpSync(join(coreDir, f), join(modules, '@metricore', 'core-native', f));
      const deps = Object.keys(JSON.parse(readFileSync(join(frameworkDir, 'package.json'), 'utf8')).dependencies);
      for (const dep of deps.filter((d) => !d.startsWith('@metricore/'))) {
        symlinkSync(dirname(require.resolve(`${dep}/package.json`, { paths: [frameworkDir] })), join(modules, dep), 'dir');
      }
      for (const [kind, code] of [
        ['esm', "import('@metricore/framework').catch((e) => { console.log(e.code + ' ' + e.message); })"],
        ['cjs', "try { require('@metricore/framework') } catch (e) { console.log(e.code + ' ' + e.message) }"],
      ]) {
        const run = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8' });
        expect(run.stdout, kind).toMatch(/^METRICORE_NATIVE_MISSING metricore: the native core \(@metricore\/core-native\) is not built or failed to load\./);
        expect(run.stdout, kind).toContain('npm run build -w @metricore/core-native');
        expect(run.stdout, kind).toContain('Rust >= 1.88');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
