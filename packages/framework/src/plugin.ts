/**
 * plugin: what a plugin is, and the small checks the host runs on each one in order.
 */
import { errors } from './errors.js';
import type { MetricsHost } from './host.js';
import { versionSatisfies } from './version-range.js';

/** Plugin: `{ name, apply(host) }` (webpack's convention), usually made by a factory taking options. */
export interface Plugin {
  /** name: unique per host; by convention the package name, also used as every tap's name. */
  readonly name: string;
  /** framework: the @metricore/framework versions this plugin works with, a semver range (e.g. "^0.1.0"). */
  readonly framework?: string;
  /** dependencies: names of plugins that must be registered before this one. */
  readonly dependencies?: readonly string[];
  /**
   * apply: defines metrics and taps hooks. May return a promise (an `async apply`): the host's
   * `ready()`, `listen()`, `render()`, `metrics()` and `close()` wait for it. A throw or a rejection
   * is isolated, logged and counted in `metricore_plugin_errors_total{hook="apply"}`.
   */
  apply(host: MetricsHost): void | Promise<void>;
}

/** PluginFactory: what a plugin package exports as default: options in, plugin out. */
export type PluginFactory<O = unknown> = (options?: O) => Plugin;

type Check = (plugin: Plugin, registered: readonly string[], frameworkVersion: string) => void;

const hasShape: Check = (plugin) => {
  if (plugin === null || typeof plugin !== 'object') throw errors.pluginInvalid(`a plugin must be an object with name and apply, got ${typeof plugin}`);
  if (typeof plugin.name !== 'string' || plugin.name === '') throw errors.pluginInvalid('a plugin needs a non-empty string name');
  if (typeof plugin.apply !== 'function') throw errors.pluginInvalid(`plugin "${plugin.name}" needs an apply(host) function`);
};

const nameIsUnique: Check = (plugin, registered) => {
  if (registered.includes(plugin.name)) throw errors.pluginDuplicate(plugin.name);
};

const versionFits: Check = (plugin, _registered, version) => {
  if (plugin.framework !== undefined && !versionSatisfies(version, plugin.framework)) {
    throw errors.pluginVersion(plugin.name, plugin.framework, version);
  }
};

const dependenciesPresent: Check = (plugin, registered) => {
  const missing = (plugin.dependencies ?? []).find((d) => !registered.includes(d));
  if (missing !== undefined) throw errors.pluginDependency(plugin.name, missing);
};

/** checkPlugin: runs every check; throws the first coded error. */
export function checkPlugin(plugin: Plugin, registered: readonly string[], frameworkVersion: string): void {
  for (const check of [hasShape, nameIsUnique, versionFits, dependenciesPresent]) check(plugin, registered, frameworkVersion);
}
