/**
 * native: loads `@metricore/core-native` once per thread, or fails with one clear error that
 * says how to build it. Its types come from the core's generated `index.d.ts` (napi-rs writes it
 * from the Rust exports), so the framework's view of the core cannot drift from the core.
 */
import { createRequire } from 'node:module';
import type * as Core from '@metricore/core-native';
import { errors } from './errors.js';

/** NativeCore: the exports of `@metricore/core-native`, as its generated `index.d.ts` declares them. */
export type NativeCore = typeof Core;

/** FamilyDefinitionNative: what the core stores for a family (`defineFamily`'s argument). */
export type FamilyDefinitionNative = Core.FamilyDefinition;

/** SeriesSnapshot: a series' values as the core reads them (`familySnapshot`). */
export type SeriesSnapshot = Core.SeriesSnapshot;

/**
 * nativePlatform: napi-rs's name for this machine (`linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`,
 * `win32-x64-msvc`), the suffix of the platform package that carries its binary. Reads the process report
 * (about a millisecond), so only the failure path calls it.
 */
function nativePlatform(): string {
  if (process.platform === 'win32') return `win32-${process.arch}-msvc`;
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return `linux-${process.arch}-${header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

function load(): NativeCore {
  try {
    const require = createRequire(import.meta.url);
    return require('@metricore/core-native') as NativeCore;
  } catch (cause) {
    throw errors.nativeMissing(cause, nativePlatform());
  }
}

/** native: the loaded core. */
export const native: NativeCore = load();

/** FOLDED: the handle bit of a binding top-N folds right now (the core's `#[napi]` constant). */
export const FOLDED: number = native.FOLDED;

/** SET_FLAG: the handle bit that makes a buffered gauge sample a `set` (the core's `#[napi]` constant). */
export const SET_FLAG: number = native.SET_FLAG;
