/**
 * thread-worker: one recording thread of the threads scenario.
 *
 * `subject: 'metricore'` defines the scenario's family in the shared registry (same name, same
 * definition: the same native storage as every other thread), binds the one contended series,
 * then on each `run` message records `ops` values and answers `done`; on `flush` applies its
 * buffer and answers. `subject: 'floor'` records into a plain typed-array histogram of the
 * thread's own (nothing shared): how well this machine runs two such loops at once at all.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MetricsHost } from '@metricore/framework';
import { FloorHistogram } from './floor.mjs';
import { BUCKETS, VALUE_MASK, logUniformValues } from './inputs.mjs';

const { registry, metric, ops, subject } = workerData;
const values = logUniformValues();
let host;
let child;
if (subject === 'floor') {
  child = new FloorHistogram(BUCKETS);
} else {
  host = new MetricsHost({ registry });
  child = host.histogram({ name: metric, help: 'threads scenario', labelNames: ['route'], buckets: BUCKETS }).labels('/shared');
}

parentPort.on('message', (message) => {
  if (message === 'run') {
    for (let i = 0; i < ops; i++) child.observe(values[i & VALUE_MASK]);
    parentPort.postMessage('done');
  } else if (message === 'flush') {
    host?.flush();
    parentPort.postMessage(subject === 'floor' ? { flushed: true, count: child.count } : 'flushed');
  }
});
parentPort.postMessage('ready');
