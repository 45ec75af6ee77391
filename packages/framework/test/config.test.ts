/**
 * config: `metricore.config.{mjs,json}` in a temporary directory choosing plugins by package name
 * (a real package under node_modules) and by relative path, with options.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHostFromConfig, findConfigFile, loadConfig, type MetricsHost } from '@metricore/framework';
import { parseScrape, scrapeUrl } from '@metricore/framework/testing';

const here = dirname(fileURLToPath(import.meta.url));
const frameworkDir = resolve(here, '..');
const zodDir = dirname(createRequire(import.meta.url).resolve('zod/package.json'));

/** A third-party plugin package as it would be installed: package.json, an ESM entry, options validated with zod. */
const PLUGIN_SOURCE = `
import { z } from 'zod';
import { parseOptions } from '@metricore/framework';

export const PLUGIN_NAME = 'metricore-plugin-jobs';
const schema = z.object({ queues: z.array(z.string()).min(1) }).strict();

export default function jobsPlugin(options) {
  const { queues } = parseOptions(schema, options, PLUGIN_NAME);
  return {
    name: PLUGIN_NAME,
    framework: '^0.1.0',
    apply(host) {
      const g = host.gauge({ name: 'jobs_queued', help: 'Queued jobs.', labelNames: ['queue'] });
      host.hooks.collect.tapPromise(PLUGIN_NAME, async () => queues.forEach((q, i) => g.set({ queue: q }, i + 1)));
    },
  };
}
`;

const LOCAL_PLUGIN_SOURCE = `
export default function localPlugin(options = {}) {
  return {
    name: 'local-plugin',
    dependencies: ['metricore-plugin-jobs'],
    apply(host) {
      host.counter({ name: 'local_total', help: 'From a plugin chosen by relative path.' }).inc(options.start ?? 1);
    },
  };
}
`;

let root: string;
const hosts: MetricsHost[] = [];
let n = 0;

/** project: a fresh directory with the plugin package installed and these files written. */
function project(files: Record<string, string>): string {
  const dir = join(root, `project-${n++}`);
  mkdirSync(join(dir, 'node_modules', '@metricore'), { recursive: true });
  symlinkSync(frameworkDir, join(dir, 'node_modules', '@metricore', 'framework'), 'dir');
  symlinkSync(zodDir, join(dir, 'node_modules', 'zod'), 'dir');
  const pkg = join(dir, 'node_modules', 'metricore-plugin-jobs');
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'metricore-plugin-jobs', version: '1.0.0', type: 'module', exports: './index.js' }));
  writeFileSync(join(pkg, 'index.js'), PLUGIN_SOURCE);
  const noDefault = join(dir, 'node_modules', 'not-a-plugin');
  mkdirSync(noDefault);
  writeFileSync(join(noDefault, 'package.json'), JSON.stringify({ name: 'not-a-plugin', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(noDefault, 'index.js'), 'module.exports = { answer: 42 };');
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'plugins', 'local.mjs'), LOCAL_PLUGIN_SOURCE);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'metricore-config-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

const registry = () => `config-test-${n}-${Math.random()}`;

describe('config file', () => {
  it('metricore.config.json: plugins by package name and relative path, with options; host options pass through', async () => {
    const dir = project({
      'metricore.config.json': JSON.stringify({
        plugins: [['metricore-plugin-jobs', { queues: ['default', 'io'] }], ['./plugins/local.mjs', { start: 5 }]],
        endpoint: { path: '/custom-metrics' },
      }),
    });
    const host = await createHostFromConfig(dir, { registry: registry() });
    hosts.push(host);
    expect(host.plugins).toEqual(['metricore-plugin-jobs', 'local-plugin']);
    const { url } = await host.listen({ port: 0 });
    expect(url).toMatch(/\/custom-metrics$/);
    const scrape = await scrapeUrl(url);
    expect(scrape.value('jobs_queued', { queue: 'default' })).toBe(1);
    expect(scrape.value('jobs_queued', { queue: 'io' })).toBe(2);
    expect(scrape.value('local_total')).toBe(5);
  });

  it('metricore.config.mjs is preferred over .json, and may compute its options', async () => {
    const dir = project({
      'metricore.config.mjs': "export default { plugins: [['metricore-plugin-jobs', { queues: ['q'.repeat(2)] }]] };",
      'metricore.config.json': JSON.stringify({ plugins: ['does-not-exist'] }),
    });
    expect(findConfigFile(dir)).toBe(join(dir, 'metricore.config.mjs'));
    const host = await createHostFromConfig(dir, { registry: registry() });
    hosts.push(host);
    expect(parseScrape(await host.metrics()).value('jobs_queued', { queue: 'qq' })).toBe(1);
  });

  it('code plugins given as overrides are applied after the config file plugins', async () => {
    const dir = project({ 'metricore.config.json': JSON.stringify({ plugins: [['metricore-plugin-jobs', { queues: ['a'] }]] }) });
    const order: string[] = [];
    const host = await createHostFromConfig(dir, {
      registry: registry(),
      plugins: [{ name: 'app-plugin', dependencies: ['metricore-plugin-jobs'], apply: () => void order.push('app-plugin') }],
    });
    hosts.push(host);
    expect(host.plugins).toEqual(['metricore-plugin-jobs', 'app-plugin']);
    expect(order).toEqual(['app-plugin']);
  });

  it('no config file: no options', async () => {
    const dir = project({});
    expect(findConfigFile(dir)).toBeUndefined();
    expect(await loadConfig(dir)).toEqual({});
  });

  it('reports what is wrong with a config file, naming the file', async () => {
    const fail = async (files: Record<string, string>) => {
      const dir = project(files);
      const file = join(dir, Object.keys(files)[0]);
      const error = await loadConfig(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TypeError);
      return { error: error as Error & { code: string }, file, dir };
    };
    {
      const { error, file, dir } = await fail({ 'metricore.config.json': JSON.stringify({ plugins: ['metricore-plugin-missing'] }) });
      expect(error).toMatchObject({
        code: 'METRICORE_CONFIG_INVALID',
        message: `config file ${file}: plugin package "metricore-plugin-missing" cannot be found from ${dir}; install it (npm install metricore-plugin-missing)`,
      });
    }
    {
      const { error, file } = await fail({ 'metricore.config.json': JSON.stringify({ plugins: ['not-a-plugin'] }) });
      expect(error).toMatchObject({
        code: 'METRICORE_CONFIG_INVALID',
        message: `config file ${file}: plugin package "not-a-plugin" has no default export that makes a plugin from options`,
      });
    }
    {
      const { error, file } = await fail({ 'metricore.config.json': '{ "plugins": [' });
      expect(error.code).toBe('METRICORE_CONFIG_INVALID');
      expect(error.message.startsWith(`config file ${file}: cannot be read: `)).toBe(true);
    }
    {
      const { error, file } = await fail({ 'metricore.config.json': JSON.stringify({ plugins: [42] }) });
      expect(error.code).toBe('METRICORE_CONFIG_INVALID');
      expect(error.message.startsWith(`config file ${file}: plugins.0: `)).toBe(true);
    }
    {
      // The plugin's own option validation surfaces unchanged.
      const { error } = await fail({ 'metricore.config.json': JSON.stringify({ plugins: [['metricore-plugin-jobs', { queues: [] }]] }) });
      expect(error).toMatchObject({
        code: 'METRICORE_INVALID_OPTION',
        message: 'metricore-plugin-jobs: option "queues": Too small: expected array to have >=1 items',
      });
    }
    {
      // Host options from the file are validated by the host.
      const dir = project({ 'metricore.config.json': JSON.stringify({ flushIntervalMs: -1 }) });
      await expect(createHostFromConfig(dir)).rejects.toMatchObject({
        code: 'METRICORE_INVALID_OPTION',
        message: 'MetricsHost: option "flushIntervalMs": Too small: expected number to be >=1',
      });
    }
  });
});
