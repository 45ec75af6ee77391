// bun-smoke: loads @metricore/framework under Bun (import and require), records, renders and serves /metrics on
// 127.0.0.1:0, and checks the values; exits non-zero on any difference. `.ci/run` runs it with the Bun binary
// of the registry's @oven/bun-linux-x64 package; the result is in docs/installing.md.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { MetricsHost } from '@metricore/framework';

const runtime = typeof Bun === 'undefined' ? `node ${process.version}` : `bun ${Bun.version}`;
const cjs = createRequire(import.meta.url)('@metricore/framework');

for (const [format, Host] of [['esm', MetricsHost], ['cjs', cjs.MetricsHost]]) {
  const host = new Host({ registry: `bun-smoke-${format}` });
  host.counter({ name: 'smoke_total', help: 'Smoke test.', labelNames: ['format'] }).inc({ format }, 2);
  const seconds = host.histogram({ name: 'smoke_seconds', help: 'Smoke test.', buckets: [1, 10] });
  seconds.observe(0.5);
  seconds.observe(5);
  host.gauge({ name: 'smoke_gauge', help: 'Smoke test.' }).set(-3);
  const rendered = await host.metrics();
  const { url } = await host.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(url);
  const served = await res.text();
  await host.close();
  assert.equal(res.status, 200);
  for (const text of [rendered, served]) {
    const samples = text.split('\n').filter((line) => line.startsWith('smoke_'));
    assert.deepEqual(samples.sort(), [
      'smoke_gauge -3',
      'smoke_seconds_bucket{le="1"} 1',
      'smoke_seconds_bucket{le="10"} 2',
      'smoke_seconds_bucket{le="+Inf"} 2',
      'smoke_seconds_sum 5.5',
      'smoke_seconds_count 2',
      `smoke_total{format="${format}"} 2`,
    ].sort());
  }
  console.log(`${runtime}: ${format} build recorded, rendered and served /metrics (${served.length} bytes)`);
}
