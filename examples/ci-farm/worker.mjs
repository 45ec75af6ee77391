// A build worker (a worker_thread here; a separate machine in production): takes builds, moves
// artifacts, records its slots and transfers through the shared registry, and reports each build's
// outcome back to the server.
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
  // Demo time runs 100x faster than real time.
  const seconds = 5 + rnd() * 900;
  setTimeout(() => {
    const cache = rnd() < 0.7 ? 'main' : rnd() < 0.5 ? 'nixpkgs' : `team-cache-${Math.floor(rnd() * 50)}`;
    const bytes = Math.floor(1e6 + rnd() * 50e6);
    m.transferBytes.inc({ org: build.org, cache, direction: 'upload' }, bytes);
    m.transfers.inc({ cache, direction: 'upload', outcome: rnd() < 0.98 ? 'ok' : 'error' });
    const status = rnd() < 0.9 ? 'completed' : 'failed_permanent';
    busy--;
    m.slotsBusy.set({ worker: name }, busy);
    // The server records the outcome (plugin-builds' events), as the CI server does when a worker reports.
    parentPort.postMessage({ done: build.id, status, seconds, cache, bytes });
  }, seconds * 10);
});
