/**
 * loop-probe: how long the event loop was blocked (busy, not waiting for I/O) while something ran.
 *
 * Uses event-loop utilisation (`performance.eventLoopUtilization()`): libuv's own accounting of
 * the time the loop spent outside its poll wait, so it measures the thread's work without adding
 * any. A spinning probe (a setImmediate chain timing the gaps between turns) was tried first and
 * rejected: on a 2-core machine it makes the JS thread, the render thread and the HTTP client
 * three busy threads on two cores, and the scheduler's 4 ms preemptions showed up as "blocks".
 * The busy time is an upper bound on the longest single block, so a target on it is strict.
 */
import { performance } from 'node:perf_hooks';

/** measureBlock: runs `fn` (async) and returns its result, wall milliseconds and loop-busy milliseconds. */
export async function measureBlock(fn) {
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  const result = await fn();
  const wallMs = performance.now() - started;
  const { active } = performance.eventLoopUtilization(before);
  return { result, wallMs, blockedMs: active };
}
