/**
 * config: loads `metricore.config.{mjs,js,json}`, which chooses plugins by package name with
 * options, and builds a host from it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod/mini';
import { errors } from './errors.js';
import { validate } from './options.js';
import type { MetricsHostOptions } from './host.js';
import type { Plugin, PluginFactory } from './plugin.js';

/** CONFIG_FILES: the file names looked for, in order. */
export const CONFIG_FILES = ['metricore.config.mjs', 'metricore.config.js', 'metricore.config.json'] as const;

/** PluginEntry: a package name, or `[packageName, options]`. */
export type PluginEntry = string | [string, unknown];

/** MetricoreConfig: the content of a config file. Everything but `plugins` is passed to MetricsHost as is. */
export interface MetricoreConfig extends Omit<MetricsHostOptions, 'plugins'> {
  plugins?: PluginEntry[];
}

const configSchema = z.looseObject({
  plugins: z.optional(z.array(z.union([z.string().check(z.minLength(1)), z.tuple([z.string().check(z.minLength(1)), z.unknown()])]))),
});

/** findConfigFile: the first config file in `dir`, or undefined. */
export function findConfigFile(dir: string): string | undefined {
  return CONFIG_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
}

async function readConfig(file: string): Promise<unknown> {
  if (file.endsWith('.json')) return JSON.parse(await readFile(file, 'utf8'));
  const mod = await import(pathToFileURL(file).href);
  return mod.default ?? mod;
}

async function loadPlugin(entry: PluginEntry, dir: string, file: string): Promise<Plugin> {
  const [name, options] = typeof entry === 'string' ? [entry, undefined] : entry;
  let resolved: string;
  try {
    // ESM resolution from the config's folder, so a dual package loads the same (ESM) build the
    // application imports: one module instance, one plugin registry.
    // Loaded here, not at import: only a config file needs it (about 0.4 MiB of heap kept otherwise, issue #17).
    const { resolve: resolveImport } = await import('import-meta-resolve');
    resolved = resolveImport(name, pathToFileURL(join(dir, 'metricore.config.mjs')).href);
  } catch {
    throw errors.configInvalid(file, `plugin package "${name}" cannot be found from ${dir}; install it (npm install ${name})`);
  }
  const mod = await import(resolved);
  // A CommonJS-only plugin's default import is its module.exports.
  const factory = (typeof mod.default === 'function' ? mod.default : (mod.default?.default ?? mod.plugin)) as PluginFactory | undefined;
  if (typeof factory !== 'function') {
    throw errors.configInvalid(file, `plugin package "${name}" has no default export that makes a plugin from options`);
  }
  return factory(options);
}

/** loadConfig: reads the config file in `dir` (default the working directory) into host options with plugins made. */
export async function loadConfig(dir: string = process.cwd()): Promise<MetricsHostOptions> {
  const file = findConfigFile(dir);
  if (file === undefined) return {};
  let raw: unknown;
  try {
    raw = await readConfig(file);
  } catch (cause) {
    throw errors.configInvalid(file, `cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const result = validate(configSchema, raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw errors.configInvalid(file, `${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const { plugins = [], ...rest } = result.data as MetricoreConfig;
  return { ...rest, plugins: await Promise.all(plugins.map((p) => loadPlugin(p, dir, file))) };
}
