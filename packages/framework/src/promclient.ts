/**
 * promclient: interop with prom-client. `toPromClient(metric)` gives an object a prom-client
 * `Registry` accepts in `registerMetric`, reading the metric's values from the native core on
 * each `registry.metrics()`. (The other direction is `host.attachPromClient(registry)`.)
 */
import type { Metric } from './metric.js';
import { native } from './native.js';
import { flushRecorded } from './recorder.js';

interface PromClientValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** PromClientMetricAdapter: the metric interface prom-client's Registry reads. */
export interface PromClientMetricAdapter {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; values: PromClientValue[]; aggregator: 'sum' }>;
  reset(): void;
}

/**
 * toPromClient: an adapter to register a metricore family in a prom-client Registry
 * (`registry.registerMetric(toPromClient<Metric>(metric))`, `Metric` being prom-client's type). It
 * implements what the Registry reads (`PromClientMetricAdapter`); the type argument `M` lets the call
 * type-check against prom-client's own `Metric` class union without metricore importing prom-client.
 */
export function toPromClient<M = PromClientMetricAdapter>(metric: Metric): M {
  const { name, help, kind, labelNames, buckets } = metric.definition;
  const adapter: PromClientMetricAdapter = {
    name,
    help,
    type: kind,
    aggregator: 'sum',
    reset() {
      // Values live in the shared native core; prom-client's reset does not apply to them.
    },
    async get() {
      flushRecorded();
      const values: PromClientValue[] = [];
      for (const series of native.familySnapshot(metric.familyId)) {
        const labels: Record<string, string> = {};
        labelNames.forEach((l, i) => (labels[l] = series.labelValues[i]));
        if (kind !== 'histogram') {
          values.push({ labels, value: series.value });
          continue;
        }
        series.buckets.forEach((count, i) => {
          const le = i < buckets.length ? buckets[i] : '+Inf';
          values.push({ labels: { ...labels, le }, value: count, metricName: `${name}_bucket` });
        });
        values.push({ labels, value: series.value, metricName: `${name}_sum` });
        values.push({ labels, value: series.count, metricName: `${name}_count` });
      }
      return { name, help, type: kind, values, aggregator: 'sum' };
    },
  };
  return adapter as unknown as M;
}
