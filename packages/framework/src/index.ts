/**
 * @metricore/framework: the metrics host, metric API, plugins and exposition.
 */
import { loadConfig } from './config.js';
import { MetricsHost, type MetricsHostOptions } from './host.js';

export { MetricsHost, FRAMEWORK_VERSION, type MetricsHostOptions, type MetricsOptions } from './host.js';
export { Counter, CounterChild } from './counter.js';
export { Gauge, GaugeChild } from './gauge.js';
export { Histogram, HistogramChild } from './histogram.js';
export { Metric } from './metric.js';
export type { Labels, LabelValue, BoundChild } from './labels.js';
export { DEFAULT_BUCKETS, type MetricDefinition, type FullDefinition, type MetricKind } from './definition.js';
export { exponentialBuckets, linearBuckets } from './buckets.js';
export { DEFAULT_MAX_SERIES, type LabelPolicy, type LabelRule, type Duration } from './policy.js';
export type { HostHooks, CollectContext, RenderInfo, ListenInfo, ExpositionFormat } from './hooks.js';
export type { Plugin, PluginFactory } from './plugin.js';
export type { Logger } from './isolation.js';
export type { EndpointOptions } from './endpoint.js';
export { BodyStream, type PieceSource } from './body-stream.js';
export { writeBody, DEFAULT_SLICE_BYTES, type BodySink, type BodySource, type BodyWriterOptions, type BodyWriteResult } from './body-writer.js';
export { CONTENT_TYPES, negotiate, type PromClientRegistryLike } from './exposition.js';
export { toPromClient, type PromClientMetricAdapter } from './promclient.js';
export { loadConfig, findConfigFile, CONFIG_FILES, type MetricoreConfig, type PluginEntry } from './config.js';
export { parseOptions } from './options.js';
export * as z from './schema.js';
export { flushRecorded, DEFAULT_FLUSH_INTERVAL_MS } from './recorder.js';
export { SELF_METRIC_PREFIX } from './self-metrics.js';
export { ErrorCode, MetricoreError, MetricoreTypeError, MetricoreRangeError, type ErrorCodeValue } from './errors.js';

/** createHostFromConfig: a host from `metricore.config.{mjs,js,json}` in `dir`, with `overrides` on top. */
export async function createHostFromConfig(dir?: string, overrides: MetricsHostOptions = {}): Promise<MetricsHost> {
  const options = await loadConfig(dir);
  return new MetricsHost({ ...options, ...overrides, plugins: [...(options.plugins ?? []), ...(overrides.plugins ?? [])] });
}
