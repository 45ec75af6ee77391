// The farm's scheduler: a few dozen organisations with skewed activity (a Zipf-like weight by rank,
// the ranking rotating so the busy set changes over time), a queue of builds, and dispatch onto the
// workers' free slots. It only decides; server.mjs records what happens.

/** random: a seeded generator (Park-Miller), so a run's traffic is reproducible. */
export function random(seed) {
  let s = seed % 2147483647 || 1;
  return () => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
}

/** Orgs: `count` organisations; `pick()` draws one, the busy few most of the time. */
export class Orgs {
  constructor(count, rnd, { rotateMs = 15_000 } = {}) {
    this.names = Array.from({ length: count }, (_, i) => `org-${String(i + 1).padStart(2, '0')}`);
    this.rnd = rnd;
    this.rotateMs = rotateMs;
    this.started = Date.now();
    const weights = this.names.map((_, rank) => 1 / (rank + 1) ** 1.3);
    const total = weights.reduce((a, b) => a + b, 0);
    let sum = 0;
    this.cumulative = weights.map((w) => (sum += w / total));
  }
  /** shift: how far the ranking has rotated; every rotation 3 new orgs become the busiest. */
  get shift() {
    return Math.floor((Date.now() - this.started) / this.rotateMs) * 3;
  }
  pick() {
    const u = this.rnd();
    const rank = this.cumulative.findIndex((c) => u <= c);
    return this.names[(Math.max(rank, 0) + this.shift) % this.names.length];
  }
}

/** Scheduler: FIFO queue of builds dispatched to the worker with the most free slots. */
export class Scheduler {
  constructor(dispatch) {
    this.dispatch = dispatch; // (build, worker) => void
    this.queue = [];
    this.workers = new Map(); // id -> { free, slots }
    this.running = new Map(); // build id -> build
  }
  addWorker(id, slots) {
    this.workers.set(id, { free: slots, slots });
  }
  enqueue(build) {
    this.queue.push(build);
    this.run();
  }
  finished(buildId) {
    const build = this.running.get(buildId);
    if (build === undefined) return undefined;
    this.running.delete(buildId);
    this.workers.get(build.worker).free++;
    this.run();
    return build;
  }
  run() {
    while (this.queue.length > 0) {
      let best;
      for (const [id, w] of this.workers) if (w.free > 0 && (best === undefined || w.free > best[1].free)) best = [id, w];
      if (best === undefined) return;
      const build = this.queue.shift();
      best[1].free--;
      build.worker = best[0];
      this.running.set(build.id, build);
      this.dispatch(build, best[0]);
    }
  }
}
