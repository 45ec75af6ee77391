/**
 * startup-child: one fresh process that loads one case of the startup scenario and prints the
 * JS heap it retains: V8's used heap after full collections, before and after, in bytes.
 * Run with --expose-gc; argv[2] names the case (see CASES in startup.bench.mjs).
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';

const require = createRequire(import.meta.url);
/** used: V8's used heap after collections that leave nothing collectable (two in a row free nothing more). */
function used() {
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    globalThis.gc();
    const now = v8.getHeapStatistics().used_heap_size;
    if (now >= last) return now;
    last = now;
  }
  return last;
}

const CASES = {
  bare: async () => null,
  framework: async () => import('@metricore/framework'),
  'framework (require)': async () => require('@metricore/framework'),
  'plugin-http': async () => [await import('@metricore/framework'), await import('@metricore/plugin-http')],
  'plugin-process': async () => [await import('@metricore/framework'), await import('@metricore/plugin-process')],
  'framework + plugin-http + host': async () => {
    const { MetricsHost } = await import('@metricore/framework');
    const { default: httpMetrics } = await import('@metricore/plugin-http');
    return new MetricsHost({ registry: 'startup', plugins: [httpMetrics()] });
  },
  'framework + plugin-http + host (require)': async () => {
    const { MetricsHost } = require('@metricore/framework');
    const httpMetrics = require('@metricore/plugin-http').default;
    return new MetricsHost({ registry: 'startup', plugins: [httpMetrics()] });
  },
  'framework + plugin-http + plugin-process + host': async () => {
    const { MetricsHost } = await import('@metricore/framework');
    const { default: httpMetrics } = await import('@metricore/plugin-http');
    const { default: processMetrics } = await import('@metricore/plugin-process');
    return new MetricsHost({ registry: 'startup', plugins: [httpMetrics(), processMetrics()] });
  },
  'prom-client': async () => import('prom-client'),
  'prom-client + one histogram': async () => {
    const client = (await import('prom-client')).default;
    return new client.Histogram({ name: 'http_request_duration_seconds', help: 'h', labelNames: ['method', 'route', 'status_code'] });
  },
  'core-native': async () => require('@metricore/core-native'),
  tapable: async () => require('tapable'),
  zod: async () => import('zod'),
  'zod/mini': async () => import('zod/mini'),
};

// "in a server": node:http is loaded (and a server made) before measuring, as in any HTTP service,
// so the figure is what the metrics library adds there.
const IN_SERVER = ' (in a node:http server)';
for (const base of ['framework + plugin-http + host', 'prom-client + one histogram']) {
  CASES[base + IN_SERVER] = CASES[base];
}

const name = process.argv[2];
if (name?.endsWith(IN_SERVER)) globalThis.server = (await import('node:http')).createServer(() => {});
if (!CASES[name]) throw new TypeError(`unknown case "${name}"; expected one of ${Object.keys(CASES).join(', ')}`);
const before = used();
globalThis.kept = await CASES[name]();
const after = used();
process.stdout.write(`${JSON.stringify({ name, retainedBytes: after - before })}\n`);
process.exit(0);
