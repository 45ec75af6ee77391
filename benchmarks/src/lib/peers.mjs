/**
 * peers: one small adapter per library compared, so every scenario sets them up the same way.
 *
 * An adapter defines histograms and counters with the shared BUCKETS, binds label tuples where
 * the library can, names the exact recording statement a benchmark loop uses (so each loop is
 * compiled with the library's own call, never behind a shared wrapper), and renders a scrape.
 */
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { BUCKETS } from './inputs.mjs';

const gzip = promisify(gzipCb);

/** MAX_SERIES: the per-family series cap given to libraries that have one (above every scenario's N). */
const MAX_SERIES = 1_000_000;

/** CJS_PEER: metricore's CommonJS build as a peer of its own (the recording scenarios time both builds). */
export const CJS_PEER = 'metricore (cjs)';

/** PEER_NAMES: every library compared, in table order. The floor is not a peer (see floor.mjs). */
export const PEER_NAMES = ['metricore', 'prom-client', '@prometheus-io/client', '@platformatic/prom-client', 'opentelemetry'];

/** Statements the recording loops compile; `v` is the value, `labels` a label object, `child` a bound child. */
const PROM_STATEMENTS = { bound: 'child.observe(v)', labelled: 'h.observe(labels, v)', unlabelled: 'h.observe(v)', inc: 'c.inc()' };

/**
 * metricore: the ESM build (`import`), or with `build: 'cjs'` the CommonJS build (`require`), so
 * scenarios can time both; the CJS peer scrapes with its own build's testing kit.
 */
async function metricore(registry, build = 'esm') {
  const { MetricsHost } = build === 'cjs' ? createRequire(import.meta.url)('@metricore/framework') : await import('@metricore/framework');
  const host = new MetricsHost({ registry });
  return {
    name: build === 'cjs' ? 'metricore (cjs)' : 'metricore',
    // The scrape and memory scenarios need N real series; the default cap (10,000) would fold the rest.
    histogram: (name, labelNames = []) => host.histogram({ name, help: `${name} help`, labelNames, buckets: BUCKETS, maxSeries: MAX_SERIES }),
    counter: (name, labelNames = []) => host.counter({ name, help: `${name} help`, labelNames }),
    bind: (h, tuple) => h.labels(...tuple),
    statements: PROM_STATEMENTS,
    flush: () => host.flush(),
    scrape: (gz = false) => host.render('text', gz),
    host,
  };
}

function promLike(name, mod) {
  const client = mod.default ?? mod;
  const register = new client.Registry();
  return {
    name,
    histogram: (n, labelNames = []) =>
      new client.Histogram({ name: n, help: `${n} help`, labelNames, buckets: BUCKETS, registers: [register] }),
    counter: (n, labelNames = []) => new client.Counter({ name: n, help: `${n} help`, labelNames, registers: [register] }),
    bind: (h, tuple) => h.labels(...tuple),
    statements: PROM_STATEMENTS,
    flush: () => {},
    // prom-client renders on the JS thread; gzip is then done on the libuv pool, as a server would.
    scrape: async (gz = false) => {
      const text = await register.metrics();
      return gz ? gzip(text) : text;
    },
    register,
    client,
  };
}

async function opentelemetry() {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { PrometheusExporter, PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
  // The Prometheus exporter is the reader attached to the provider; its HTTP server is not started.
  const reader = new PrometheusExporter({ preventServerStart: true });
  // OpenTelemetry caps an instrument at 2,000 series by default; lift it like metricore's cap.
  const provider = new MeterProvider({ readers: [reader], views: [{ instrumentName: '*', aggregationCardinalityLimit: MAX_SERIES }] });
  const meter = provider.getMeter('bench');
  const serializer = new PrometheusSerializer();
  return {
    name: 'opentelemetry',
    histogram: (n) => meter.createHistogram(n, { description: `${n} help`, advice: { explicitBucketBoundaries: BUCKETS } }),
    counter: (n) => meter.createCounter(n, { description: `${n} help` }),
    bind: null,
    statements: { bound: null, labelled: 'h.record(v, labels)', unlabelled: 'h.record(v)', inc: 'c.add(1)' },
    flush: () => {},
    scrape: async (gz = false) => {
      const { resourceMetrics } = await reader.collect();
      const text = serializer.serialize(resourceMetrics);
      return gz ? gzip(text) : text;
    },
    provider,
  };
}

/** createPeer: sets up one library by name; `registry` names metricore's registry (others get a fresh one). */
export async function createPeer(name, registry = 'bench') {
  switch (name) {
    case 'metricore':
      return metricore(registry);
    case 'metricore (cjs)':
      return metricore(`${registry}-cjs`, 'cjs');
    case 'prom-client':
      return promLike(name, await import('prom-client'));
    case '@prometheus-io/client':
      return promLike(name, await import('@prometheus-io/client'));
    case '@platformatic/prom-client':
      return promLike(name, await import('@platformatic/prom-client'));
    case 'opentelemetry':
      return opentelemetry();
    default:
      throw new TypeError(`unknown peer "${name}"; expected one of ${PEER_NAMES.join(', ')}`);
  }
}
