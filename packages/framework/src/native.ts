/**
 * native: loads `@metricore/core-native` once per thread, or fails with one clear error that
 * says how to build it.
 */
import { createRequire } from 'node:module';
import { errors } from './errors.js';

/** FamilyDefinitionNative: what the core stores for a family. */
export interface FamilyDefinitionNative {
  registry: string;
  kind: 'counter' | 'gauge' | 'histogram';
  name: string;
  help: string;
  unit?: string;
  labelNames: string[];
  buckets?: number[];
  labelRules?: Array<{ allow?: string[]; topN?: number; drop?: boolean; maxLength?: number; hysteresis?: number; weight?: string }>;
  maxSeries?: number;
  ttlMs?: number;
  rerankIntervalMs?: number;
}

/** SeriesSnapshot: a series' values as the core reads them. */
export interface SeriesSnapshot {
  labelValues: string[];
  value: number;
  buckets: number[];
  count: number;
}

/** NativeCore: the exports of `@metricore/core-native` that the framework uses. */
export interface NativeCore {
  registerThread(): number;
  defineFamily(definition: FamilyDefinitionNative): number;
  bindSeries(familyId: number, labelValues: string[]): number;
  bindAndRecord(familyId: number, thread: number, labelValues: string[], value: number, set: boolean): number;
  createSampleBuffer(thread: number, pairs: number): Float64Array;
  applySamples(thread: number, samples: Float64Array, length: number): void;
  countRejected(familyId: number, reason: string): void;
  recordFolded(familyId: number, thread: number, labelValues: string[], value: number): void;
  maintain(registry: string): void;
  resolveHandles(familyId: number, handles: Uint32Array): number[];
  trackedValues(familyId: number): number;
  removeSeries(familyId: number, labelValues: string[]): boolean;
  clearFamily(familyId: number): void;
  familySnapshot(familyId: number): SeriesSnapshot[];
  exponentialBuckets(start: number, factor: number, count: number): number[];
  linearBuckets(start: number, width: number, count: number): number[];
  render(registry: string, openmetrics: boolean, gzip: boolean, exclude: number[]): Promise<Buffer>;
  renderSync(registry: string, openmetrics: boolean, gzip: boolean, exclude: number[]): Buffer;
  contentTypes(): string[];
  recycleBody(body: ArrayBuffer): void;
  triggerPanic(): void;
}

function load(): NativeCore {
  try {
    const require = createRequire(import.meta.url);
    return require('@metricore/core-native') as NativeCore;
  } catch (cause) {
    throw errors.nativeMissing(cause);
  }
}

/** native: the loaded core. */
export const native: NativeCore = load();
