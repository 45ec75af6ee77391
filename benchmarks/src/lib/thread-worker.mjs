/**
 * thread-worker: one recording thread of the threads scenario.
 *
 * `subject: 'metricore'` defines the scenario's family in the shared registry (same name, same
 * definition: the same native storage as every other thread), binds the one contended series,
 * then on each `run` message records `ops` values and answers `done` with the thread's time on a
 * CPU and waiting for one during the loop (schedstat); on `flush` applies its
 * buffer and answers. `subject: 'floor'` records into a plain typed-array histogram of the
 * thread's own (nothing shared): how well this machine runs two such loops at once at all.
 */
import { readFileSync } from 'node:fs';
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

/** run: the recording loop, one function as a user's handler is, called with `ops` per repetition. */
function run(n) {
  for (let i = 0; i < n; i++) child.observe(values[i & VALUE_MASK]);
}

/**
 * WARM_CALLS short calls before the first repetition, so V8 optimises `run` as a whole function
 * (as it does a user's hot handler) instead of entering its loop through on-stack replacement
 * in the middle of a repetition. Without them every worker's first repetitions ran in OSR code
 * and deoptimised after the loop (--trace-deopt: 2 bailouts and 3-4 OSR entries per worker in
 * 6 repetitions), and the first timed repetition of a configuration was often 1.5-2x slower
 * than the others. Same warm-up in every row, floor included. The samples count in the totals
 * (`warmOps` in `ready`).
 */
const WARM_CALLS = 2000;
const WARM_OPS = 64;
for (let k = 0; k < WARM_CALLS; k++) run(WARM_OPS);

/** schedNs: this thread's [ns on a CPU, ns runnable but waiting for one] (Linux schedstat), or undefined. */
function schedNs() {
  try {
    return readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
  } catch {
    return undefined;
  }
}

const nap = new Int32Array(new SharedArrayBuffer(4));

parentPort.on('message', (message) => {
  if (message === 'run') {
    // The thread was blocked waiting for this message, which brought its figures up to date.
    const before = schedNs();
    run(ops);
    parentPort.postMessage('done');
    // The kernel updates a running thread's figures only at a scheduler tick (up to 4 ms late:
    // quick runs read 0.6 ns per observation), so sleep 1 ms, which updates them, after `done`
    // (outside the timed window) and report them in a second message.
    Atomics.wait(nap, 0, 0, 1);
    const after = schedNs();
    parentPort.postMessage({ sched: true, cpuNs: after && after[0] - before[0], waitNs: after && after[1] - before[1] });
  } else if (message === 'flush') {
    host?.flush();
    parentPort.postMessage(subject === 'floor' ? { flushed: true, count: child.count } : 'flushed');
  }
});
parentPort.postMessage({ ready: true, warmCalls: WARM_CALLS, warmOps: WARM_OPS });
