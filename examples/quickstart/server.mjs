// A small server with a few metrics and /metrics on 127.0.0.1 (node examples/quickstart/server.mjs).
import { MetricsHost, exponentialBuckets } from '@metricore/framework';

const host = new MetricsHost();
const builds = host.counter({ name: 'builds_total', help: 'Builds finished.', labelNames: ['status'] });
const buildSeconds = host.histogram({
  name: 'build_duration_seconds',
  help: 'Build duration.',
  labelNames: ['system'],
  buckets: exponentialBuckets(1, 2, 13), // 1 s to ~1 h
  unit: 'seconds',
});
const queue = host.gauge({ name: 'scheduler_queue_depth', help: 'Builds waiting for a slot.' });

// Pretend builds finish now and then.
const timer = setInterval(() => {
  const ok = Math.random() < 0.9;
  builds.inc({ status: ok ? 'succeeded' : 'failed' });
  buildSeconds.observe({ system: 'x86_64-linux' }, 1 + Math.random() * 600);
  queue.set(Math.floor(Math.random() * 20));
}, 200);

const port = Number(process.env.PORT ?? 9464);
const { url } = await host.listen({ port, host: '127.0.0.1' });
console.log(`metricore quickstart: metrics at ${url}  (Ctrl-C to stop)`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    clearInterval(timer);
    await host.close();
    process.exit(0);
  });
}
