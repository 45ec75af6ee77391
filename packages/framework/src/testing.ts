/**
 * testing: the test kit for plugin authors. Make a host on a fresh registry, apply plugins,
 * scrape it (in process or over HTTP), and assert on parsed samples.
 *
 * ```ts
 * const host = createTestHost({ plugins: [myPlugin()] });
 * const scrape = await scrapeHost(host);
 * expect(scrape.value('my_jobs_total', { queue: 'default' })).toBe(1);
 * ```
 */
import { randomUUID } from 'node:crypto';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { MetricsHost, type MetricsHostOptions } from './host.js';

/** ParsedFamily: one family as parse-prometheus-text-format returns it. */
export interface ParsedFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }>;
}

/** Scrape: a parsed exposition with lookups by name and labels. */
export interface Scrape {
  /** text: the raw body. */
  readonly text: string;
  /** families: every family, parsed. */
  readonly families: ParsedFamily[];
  /** family: the family called `name`, if present. */
  family(name: string): ParsedFamily | undefined;
  /** value: a counter's or gauge's value for exactly these labels, or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** histogram: a histogram series' count, sum and cumulative buckets (by `le`), or undefined. */
  histogram(name: string, labels?: Record<string, string>): { count: number; sum: number; buckets: Record<string, number> } | undefined;
  /** seriesCount: how many series the family has. */
  seriesCount(name: string): number;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a![k] === b[k]);
}

type Sample = { name: string; labels: Record<string, string>; value: string };

/**
 * histogramSeries: a histogram family's series rebuilt from its `_bucket`/`_sum`/`_count` lines.
 * parse-prometheus-text-format 1.1.1 folds every series of a histogram into one and drops their
 * labels, so the sample lines are parsed on their own (as untyped samples) and regrouped here.
 */
function histogramSeries(name: string, samples: Sample[]): ParsedFamily['metrics'] {
  const series = new Map<string, Required<Omit<ParsedFamily['metrics'][number], 'value'>>>();
  const entry = (labels: Record<string, string>) => {
    const key = JSON.stringify(Object.entries(labels).sort());
    let s = series.get(key);
    if (s === undefined) series.set(key, (s = { labels, buckets: {}, count: '', sum: '' }));
    return s;
  };
  for (const { name: sampleName, labels, value } of samples) {
    if (sampleName === `${name}_bucket`) {
      const { le, ...rest } = labels;
      entry(rest).buckets[le] = value;
    } else if (sampleName === `${name}_sum`) entry(labels).sum = value;
    else if (sampleName === `${name}_count`) entry(labels).count = value;
  }
  return [...series.values()];
}

/** parseScrape: parses Prometheus text 0.0.4 into a Scrape. */
export function parseScrape(text: string): Scrape {
  const families = parsePrometheusTextFormat(text) as ParsedFamily[];
  if (families.some((f) => f.type === 'HISTOGRAM')) {
    const sampleLines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const samples = (parsePrometheusTextFormat(sampleLines.join('\n')) as ParsedFamily[]).flatMap((f) =>
      f.metrics.map((m) => ({ name: f.name, labels: m.labels ?? {}, value: m.value ?? '' })),
    );
    for (const f of families) if (f.type === 'HISTOGRAM') f.metrics = histogramSeries(f.name, samples);
  }
  const family = (name: string) => families.find((f) => f.name === name);
  const find = (name: string, labels: Record<string, string>) => family(name)?.metrics.find((m) => sameLabels(m.labels, labels));
  return {
    text,
    families,
    family,
    value(name, labels = {}) {
      const m = find(name, labels);
      return m?.value === undefined ? undefined : Number(m.value);
    },
    histogram(name, labels = {}) {
      const m = find(name, labels);
      if (m?.buckets === undefined) return undefined;
      const buckets: Record<string, number> = {};
      for (const [le, v] of Object.entries(m.buckets)) buckets[le] = Number(v);
      return { count: Number(m.count), sum: Number(m.sum), buckets };
    },
    seriesCount: (name) => family(name)?.metrics.length ?? 0,
  };
}

/** createTestHost: a host on a registry of its own, so tests never see each other's series. */
export function createTestHost(options: MetricsHostOptions = {}): MetricsHost {
  return new MetricsHost({ registry: `test-${randomUUID()}`, logger: { warn() {}, debug() {} }, ...options });
}

/** scrapeHost: renders `host` in process (text format) and parses it. */
export async function scrapeHost(host: MetricsHost): Promise<Scrape> {
  return parseScrape(await host.metrics());
}

/** scrapeUrl: fetches an endpoint over HTTP (text format) and parses it; throws on a non-200 answer. */
export async function scrapeUrl(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`scrape of ${url} answered ${res.status}: ${await res.text()}`);
  return parseScrape(await res.text());
}
