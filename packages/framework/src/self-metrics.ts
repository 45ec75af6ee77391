/**
 * self-metrics: the `metricore_` families the framework defines itself, in one place, and the
 * reservation of their prefix. The core renders the others (`metricore_series`,
 * `metricore_rejected_samples_total`, `metricore_label_values_folded_total`,
 * `metricore_series_evicted_total`, `metricore_topn_changes_total`, `metricore_topn_threshold`;
 * see core-native/src/self_metrics.rs).
 */
import type { MetricDefinition } from './definition.js';

/** SELF_METRIC_PREFIX: the prefix reserved for metricore's own families; a user metric carrying it is refused. */
export const SELF_METRIC_PREFIX = 'metricore_';

/** isReservedName: whether `name` carries the reserved `metricore_` prefix. */
export function isReservedName(name: string): boolean {
  return name.startsWith(SELF_METRIC_PREFIX);
}

/** PLUGIN_ERRORS: failures of plugins (a throw, a rejection, a timeout), by plugin and hook. */
export const PLUGIN_ERRORS = {
  name: 'metricore_plugin_errors_total',
  help: 'Failures of plugins, by plugin and hook (apply, define, collect, close, ...).',
  labelNames: ['plugin', 'hook'],
} as const satisfies MetricDefinition<'plugin' | 'hook'>;

/** SCRAPE_DURATION: time to collect and render one scrape. */
export const SCRAPE_DURATION = {
  name: 'metricore_scrape_duration_seconds',
  help: 'Time to collect and render one scrape (recorded after it is sent).',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  unit: 'seconds',
} as const satisfies MetricDefinition;
