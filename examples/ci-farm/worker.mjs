// A build worker (a worker_thread here; a separate machine in production): takes builds, moves
// artifacts, and records into the same families as the server through the shared registry.
import { parentPort, workerData } from 'node:worker_threads';
import { MetricsHost } from '@metricore/framework';
import { defineFarmMetrics, LABEL_POLICY, REGISTRY, random } from './farm-metrics.mjs';

const { name, slots } = workerData;
const host = new MetricsHost({ registry: REGISTRY, labelPolicy: LABEL_POLICY });
const m = defineFarmMetrics(host);
const rnd = random(name.length * 7919);
m.slotsMax.set({ worker: name }, slots);
let busy = 0;

parentPort.on('message', (build) => {
  if (build === 'stop') {
    host.close().then(() => process.exit(0));
    return;
  }
  busy++;
  m.slotsBusy.set({ worker: name }, busy);
  m.queueWait.observe(build.waitedSeconds);
  // Demo time runs 100x faster than real time.
  const seconds = 5 + rnd() * 900;
  setTimeout(() => {
    const cache = rnd() < 0.7 ? 'main' : rnd() < 0.5 ? 'nixpkgs' : `team-cache-${Math.floor(rnd() * 50)}`;
    const bytes = Math.floor(1e6 + rnd() * 50e6);
    m.transferBytes.inc({ org: build.org, cache, direction: 'upload' }, bytes);
    m.transfers.inc({ cache, direction: 'upload', outcome: rnd() < 0.98 ? 'ok' : 'error' });
    m.cacheStoredBytes.inc({ cache }, bytes);
    const status = rnd() < 0.9 ? 'succeeded' : 'failed';
    m.buildSeconds.observe({ org: build.org, project: build.project, system: 'x86_64-linux' }, seconds);
    m.builds.inc({ org: build.org, project: build.project, status });
    busy--;
    m.slotsBusy.set({ worker: name }, busy);
    parentPort.postMessage({ done: build.id });
  }, seconds * 10);
});
