/**
 * families: every metric family the plugin defines, by name, shared by the event path and the SQL
 * source (the same definition made twice is the same family). Names take the `prefix` option.
 */
import { ErrorCode, exponentialBuckets, type Counter, type Gauge, type Histogram, type LabelPolicy, type MetricDefinition, type MetricsHost } from '@metricore/framework';

/** TENANT_LABELS: labels that name a tenant; the host's label policy decides how many values get a series. */
export const TENANT_LABELS: readonly string[] = ['org', 'project', 'cache'];

/**
 * DURATION_BUCKETS: build and evaluation duration bounds in seconds: powers of two from 1 s to
 * 2048 s, then 1 h, then 14400 s (the 4 h build timeout), so a timed-out build lands in its own bucket.
 */
export function durationBuckets(): number[] {
  return [...exponentialBuckets(1, 2, 12), 3600, 14400];
}

/** WAIT_BUCKETS: dispatch and dependency wait bounds in seconds, 0.5 s to ~2.3 h by powers of two, plus 4 h. */
export function waitBuckets(): number[] {
  return [...exponentialBuckets(0.5, 2, 15), 14400];
}

/**
 * defineTenantGauge: a gauge with tenant labels. Top-N ranks recorded activity, which a gauge does
 * not have, so the host refuses a gauge whose label has a host-wide `topN` rule; then this gauge
 * takes `fallback[label]` (default `{ drop: true }`, the sum over tenants) for the labels that need it.
 * Values reach these gauges as differences (see delta.ts), so a dropped or folded label sums exactly.
 */
export function defineTenantGauge(host: MetricsHost, definition: MetricDefinition, fallback: LabelPolicy): Gauge {
  const tenants = (definition.labelNames ?? []).filter((l) => TENANT_LABELS.includes(l));
  let lastError: unknown;
  // Smallest override first: at most 2^3 tries, each failing before the core is touched.
  for (let mask = 0; mask < 1 << tenants.length; mask++) {
    const labelPolicy: LabelPolicy = { ...definition.labelPolicy };
    tenants.forEach((label, i) => {
      if (mask & (1 << i)) labelPolicy[label] = fallback[label] ?? { drop: true };
    });
    try {
      return host.gauge({ ...definition, labelPolicy });
    } catch (error) {
      if ((error as { code?: string }).code !== ErrorCode.INVALID_OPTION) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/** Families: the plugin's families, made on first use so an unused part defines nothing. */
export class Families {
  private readonly made = new Map<string, Counter | Gauge | Histogram>();

  constructor(
    private readonly host: MetricsHost,
    private readonly prefix: string,
    private readonly gaugeFallback: LabelPolicy,
  ) {}

  /** name: the prefixed metric name. */
  name(base: string): string {
    return this.prefix + base;
  }

  private once<M extends Counter | Gauge | Histogram>(base: string, make: (name: string) => M): M {
    let m = this.made.get(base) as M | undefined;
    if (m === undefined) this.made.set(base, (m = make(this.name(base))));
    return m;
  }

  private histogram(base: string, help: string, labelNames: string[], buckets: number[]): Histogram {
    return this.once(base, (name) => this.host.histogram({ name, help, labelNames, buckets, unit: 'seconds' }));
  }

  private counter(base: string, help: string, labelNames: string[], unit?: string): Counter {
    return this.once(base, (name) => this.host.counter({ name, help, labelNames, unit }));
  }

  private gauge(base: string, help: string, labelNames: string[], unit?: string): Gauge {
    return this.once(base, (name) => defineTenantGauge(this.host, { name, help, labelNames, unit }, this.gaugeFallback));
  }

  // Events and SQL
  get buildsTotal() {
    return this.counter('builds_total', 'Builds that reached a terminal status, by org, project and status.', ['org', 'project', 'status']);
  }
  get evaluationsTotal() {
    return this.counter('evaluations_total', 'Evaluations that reached a terminal status, by org, project and status.', ['org', 'project', 'status']);
  }
  get buildsInState() {
    return this.gauge('builds_in_state', 'Builds in a non-terminal status right now, by org, project and status.', ['org', 'project', 'status']);
  }
  get evaluationsInState() {
    return this.gauge('evaluations_in_state', 'Evaluations in a non-terminal status right now, by org, project and status.', ['org', 'project', 'status']);
  }
  get cacheBytesSent() {
    return this.counter('cache_nar_bytes_sent_total', 'NAR bytes served by each binary cache (the upstream name, so no unit suffix).', ['cache']);
  }
  get cacheNarRequests() {
    return this.counter('cache_nar_requests_total', 'NAR requests served by each binary cache.', ['cache']);
  }
  // Events only
  get buildDuration() {
    return this.histogram('build_duration_seconds', 'Build duration (build_time_ms) by org, project and terminal status.', ['org', 'project', 'status'], durationBuckets());
  }
  get evaluationDuration() {
    return this.histogram('evaluation_duration_seconds', 'Evaluation duration (updated_at - created_at) by org, project and terminal status.', ['org', 'project', 'status'], durationBuckets());
  }
  get dispatchWait() {
    return this.histogram('build_dispatch_wait_seconds', 'Time a ready build waited for a worker (ready to dispatched), by org.', ['org'], waitBuckets());
  }
  get dependencyWait() {
    return this.histogram('build_dependency_wait_seconds', 'Time a queued build waited for its dependencies (queued to ready), by org.', ['org'], waitBuckets());
  }
  get jobsPending() {
    return this.gauge('jobs_pending', 'Jobs the scheduler holds that no worker has taken yet.', []);
  }
  get jobsActive() {
    return this.gauge('jobs_active', 'Jobs running on a worker right now.', []);
  }
  get workersConnected() {
    return this.gauge('workers_connected', 'Build workers connected to the scheduler.', []);
  }
  get cacheStoredBytesTotal() {
    return this.counter('cache_stored_bytes_total', 'Bytes added to each binary cache (rate() is its storage growth).', ['cache'], 'bytes');
  }
  get cacheStoredPackagesTotal() {
    return this.counter('cache_stored_packages_total', 'Packages (NARs) added to each binary cache.', ['cache']);
  }
  // SQL only
  get cacheBytesSentRate() {
    return this.gauge('cache_nar_bytes_sent_per_second', 'NAR bytes served per second by each cache over the last `window` (from cache_metric).', ['cache', 'window']);
  }
  get cacheNarRequestsRate() {
    return this.gauge('cache_nar_requests_per_second', 'NAR requests per second served by each cache over the last `window` (from cache_metric).', ['cache', 'window']);
  }
  get cacheStoredBytes() {
    return this.gauge('cache_size_bytes', 'Bytes stored in each binary cache now (the counter cache_stored_bytes_total counts additions).', ['cache'], 'bytes');
  }
  get cacheStoredPackages() {
    return this.gauge('cache_packages', 'Packages (NARs) stored in each binary cache now.', ['cache']);
  }
  get cacheGrowthRate() {
    return this.gauge('cache_storage_growth_bytes_per_second', 'Bytes per second added to each cache over the last hour.', ['cache']);
  }
  get sqlErrors() {
    return this.counter('builds_sql_query_errors_total', 'Failures of the SQL source, by query (error, timeout); that query\'s families were left out of the scrape.', ['query', 'reason']);
  }
}
