/**
 * native: a Rust panic surfaces as a JS Error with a stable code; the process lives on.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestHost, scrapeHost } from '@metricore/framework/testing';

// The core is a dependency of the framework; resolve it from there, as an application would.
const core = createRequire(createRequire(import.meta.url).resolve('@metricore/framework')) ('@metricore/core-native') as {
  triggerPanic(): void;
};

describe('native core', () => {
  it('a panic becomes a JS Error with [METRICORE_NATIVE_PANIC], and the process keeps working', async () => {
    let caught: unknown;
    try {
      core.triggerPanic();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message).toMatch(/^\[METRICORE_NATIVE_PANIC\] native core panicked: deliberate panic for tests/);
    // Again, and the core still records and renders afterwards.
    expect(() => core.triggerPanic()).toThrow('[METRICORE_NATIVE_PANIC]');
    const host = createTestHost();
    host.counter({ name: 'after_panic_total', help: 'Recorded after a panic.' }).inc(2);
    expect((await scrapeHost(host)).value('after_panic_total')).toBe(2);
    await host.close();
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
