/**
 * threads: 1 and 2 worker_threads recording into one family (one shared series), throughput and
 * exactness. Each repetition sends `run` to every worker at once and times until all answered
 * `done`. After the repetitions the workers flush and the main thread scrapes: `_count` must
 * equal every observation recorded and `_sum` the exact expected sum (up to float rounding).
 * prom-client and its forks keep metrics in one thread's heap, so they have no row here.
 * The floor rows run the plain typed-array histogram, one per thread with nothing shared: their
 * speed-up is what this machine gives two such loops at all (on a VM whose two vCPUs share a
 * physical core it stays well below 2x), the ceiling for metricore's.
 */
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MetricsHost } from '@metricore/framework';
import { scrapeHost } from '@metricore/framework/testing';
import { BUCKETS, VALUE_COUNT, logUniformValues } from './lib/inputs.mjs';
import { log, runScenario } from './lib/scenario.mjs';
import { summarize } from './lib/stats.mjs';

const once = (worker, expected) =>
  new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m !== expected && !(m !== null && typeof m === 'object' && m[expected])) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      resolve(m);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });

async function threads({ quick }) {
  const loadAverageStart = loadavg();
  const ops = quick ? VALUE_COUNT * 4 : VALUE_COUNT * 128; // 8,388,608 per thread per repetition
  // 15 repetitions, paired: with 5 and the ratio of the two rows' medians, five runs in a row on
  // 2026-12-04 (Node 20, load ~1) put metricore's speed-up at 1.72-1.93x and the floor's at
  // 1.77-1.95x, one thread alone swinging 71-92 M obs/s between runs; the speed-up is now the
  // median over repetitions of each repetition's 2-thread over 1-thread figure, taken moments apart.
  const reps = 15;
  const values = logUniformValues();
  let cycleSum = 0;
  for (const v of values) cycleSum += v;
  const rows = [];
  const metric = 'bench_threads_duration_seconds';
  // Every configuration's workers start first and the repetitions interleave (1 thread, 2 threads,
  // floor 1, floor 2, then again), so the four rows share the machine's load of the moment: run
  // one after another on a loaded machine, a ratio compared two different loads.
  const configs = [];
  let warmCalls = 0;
  let warmOps = 0;
  for (const subject of ['metricore', 'floor']) {
    for (const count of [1, 2]) {
      const registry = `bench-threads-${count}`;
      const workers = [];
      for (let i = 0; i < count; i++) {
        const worker = new Worker(new URL('./lib/thread-worker.mjs', import.meta.url), { workerData: { registry, metric, ops, subject } });
        // Each worker warms its loop up before `ready` (thread-worker.mjs); those samples count in the totals.
        ({ warmCalls, warmOps } = await once(worker, 'ready'));
        workers.push(worker);
      }
      configs.push({ subject, count, registry, workers, opsPerSecond: [], cpuNsPerOp: [], waitShare: [] });
    }
  }
  for (let r = 0; r < reps + 1; r++) {
    for (const config of configs) {
      const started = performance.now();
      const sched = config.workers.map((w) => once(w, 'sched'));
      await Promise.all(config.workers.map((w) => { const p = once(w, 'done'); w.postMessage('run'); return p; }));
      const seconds = (performance.now() - started) / 1000;
      const done = await Promise.all(sched);
      if (r === 0) continue; // repetition 0 is the warm-up
      config.opsPerSecond.push((ops * config.count) / seconds);
      // Per thread: CPU time per observation, and the share of the repetition it spent runnable
      // but waiting for a CPU (the machine's other load, or the other thread of the row).
      for (const { cpuNs, waitNs } of done) {
        if (cpuNs === undefined) continue;
        config.cpuNsPerOp.push(cpuNs / ops);
        config.waitShare.push(waitNs / (seconds * 1e9));
      }
    }
  }
  for (const { subject, count, registry, workers, opsPerSecond, cpuNsPerOp, waitShare } of configs) {
    await Promise.all(workers.map((w) => { const p = once(w, 'flushed'); w.postMessage('flush'); return p; }));
    const row = { subject, threads: count, opsPerSecond: summarize(opsPerSecond), nsPerOpPerThread: summarize(opsPerSecond.map((o) => (1e9 * count) / o)) };
    if (cpuNsPerOp.length > 0) Object.assign(row, { cpuNsPerOp: summarize(cpuNsPerOp), waitShare: summarize(waitShare) });
    if (subject === 'metricore') {
      const host = new MetricsHost({ registry });
      host.histogram({ name: metric, help: 'threads scenario', labelNames: ['route'], buckets: BUCKETS });
      const { count: scraped, sum } = (await scrapeHost(host)).histogram(metric, { route: '/shared' });
      let warmSum = 0;
      for (let i = 0; i < warmOps; i++) warmSum += values[i];
      const expectedCount = (ops * (reps + 1) + warmCalls * warmOps) * count;
      const expectedSum = (cycleSum * (ops / VALUE_COUNT) * (reps + 1) + warmSum * warmCalls) * count;
      const exact = scraped === expectedCount && Math.abs(sum - expectedSum) <= 1e-9 * expectedSum;
      await host.close();
      Object.assign(row, { expectedCount, scrapedCount: scraped, expectedSum, scrapedSum: sum, exact });
    }
    await Promise.all(workers.map((w) => w.terminate()));
    const sched = row.cpuNsPerOp ? `, CPU ${row.cpuNsPerOp.median.toFixed(1)} ns/obs per thread, waiting for a CPU ${(100 * row.waitShare.median).toFixed(0)}%` : '';
    log(`threads ${subject} ${count}: ${(row.opsPerSecond.median / 1e6).toFixed(1)} M obs/s${sched}${row.exact === undefined ? '' : `, count ${row.scrapedCount}/${row.expectedCount}, exact ${row.exact}`}`);
    rows.push(row);
  }
  // speedup: the median over repetitions of the 2-thread row's throughput over the 1-thread row's in the same repetition.
  const speedup = (subject) => {
    const [one, two] = [1, 2].map((n) => configs.find((c) => c.subject === subject && c.count === n).opsPerSecond);
    return summarize(two.map((ops, r) => ops / one[r])).median;
  };
  // `rows` keeps metricore's rows and `speedup` its figure; the floor has its own.
  return { loadAverageStart, opsPerThread: ops, reps, rows: rows.filter((r) => r.subject === 'metricore'), floorRows: rows.filter((r) => r.subject === 'floor'), speedup: speedup('metricore'), floorSpeedup: speedup('floor') };
}

runScenario('threads', threads);
