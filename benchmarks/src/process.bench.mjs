/**
 * process: one scrape of process and runtime metrics: metricore's plugin-process against
 * prom-client's `collectDefaultMetrics()` (each alone in its registry), total time, event-loop
 * blocked time and body bytes, 5 repetitions after a warm-up (quick: 2 scrapes).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { measureBlock } from './lib/loop-probe.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

async function timeScrapes(name, scrape, reps) {
  await scrape();
  const ms = [];
  const blocked = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const { result, wallMs, blockedMs } = await measureBlock(scrape);
    ms.push(wallMs);
    blocked.push(blockedMs);
    bytes = typeof result === 'string' ? Buffer.byteLength(result) : result.length;
  }
  const row = { library: name, totalMs: summarize(ms), blockedMs: summarize(blocked), bytes };
  log(`process ${name}: ${row.totalMs.median.toFixed(2)} ms, loop blocked ${row.blockedMs.median.toFixed(2)} ms, ${bytes} B`);
  return row;
}

async function processScenario({ quick }) {
  if (!existsSync(fileURLToPath(new URL('../../packages/plugin-process/dist/index.js', import.meta.url)))) {
    return { skipped: '@metricore/plugin-process is not built (packages/plugin-process/dist missing)' };
  }
  const reps = quick ? 2 : 5;
  const { MetricsHost } = await import('@metricore/framework');
  const { default: processMetrics } = await import('@metricore/plugin-process');
  const host = new MetricsHost({ registry: 'bench-process', plugins: [processMetrics()] });
  const client = (await import('prom-client')).default;
  const register = new client.Registry();
  client.collectDefaultMetrics({ register });
  // Let both sample something (event-loop delay, GC) before the first scrape.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const rows = [await timeScrapes('metricore plugin-process', () => host.render('text', false), reps), await timeScrapes('prom-client collectDefaultMetrics', () => register.metrics(), reps)];
  await host.close();
  return { reps, rows };
}

runScenario('process', processScenario);
