/**
 * thread-worker: one recording thread of the threads scenario.
 *
 * Defines the scenario's family in the shared registry (same name, same definition: the same
 * native storage as every other thread), binds the one contended series, then on each `run`
 * message records `ops` values and answers `done`; on `flush` applies its buffer and answers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MetricsHost } from '@metricore/framework';
import { BUCKETS, VALUE_MASK, logUniformValues } from './inputs.mjs';

const { registry, metric, ops } = workerData;
const host = new MetricsHost({ registry });
const child = host.histogram({ name: metric, help: 'threads scenario', labelNames: ['route'], buckets: BUCKETS }).labels('/shared');
const values = logUniformValues();

parentPort.on('message', (message) => {
  if (message === 'run') {
    for (let i = 0; i < ops; i++) child.observe(values[i & VALUE_MASK]);
    parentPort.postMessage('done');
  } else if (message === 'flush') {
    host.flush();
    parentPort.postMessage('flushed');
  }
});
parentPort.postMessage('ready');
