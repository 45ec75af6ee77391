// The load generator: users and bots hitting the API on 127.0.0.1 — browsing orgs, projects,
// evaluations and builds, starting evaluations, fetching NARs from the caches, and also what real
// servers see: ids that do not exist (404 on a matched route), scanners probing random URLs
// (404, one `__unmatched__` route value whatever the URL) and clients that give up (aborted).

const SCANS = ['/wp-login.php', '/.env', '/admin/config.php', '/phpmyadmin/index.php', '/.git/config'];

/** LoadGenerator: `start()` sends a few requests every 50 ms; `stop()` stops and aborts what is in flight. */
export class LoadGenerator {
  constructor({ api, orgs, projects, caches, rnd, evaluations, builds }) {
    Object.assign(this, { api, orgs, projects, caches, rnd, evaluations, builds });
    this.inflight = new Set();
    this.timer = undefined;
  }
  start() {
    this.timer = setInterval(() => this.tick(), 50);
  }
  stop() {
    clearInterval(this.timer);
    for (const controller of this.inflight) controller.abort();
  }
  /** get: one request; `abortAfterMs` gives up on it early (the server sees an aborted request). */
  request(path, { method = 'GET', abortAfterMs } = {}) {
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = abortAfterMs === undefined ? undefined : setTimeout(() => controller.abort(), abortAfterMs);
    fetch(`${this.api}${path}`, { method, signal: controller.signal })
      .then((res) => res.arrayBuffer())
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        this.inflight.delete(controller);
      });
  }
  tick() {
    const { rnd } = this;
    const org = this.orgs.pick();
    const project = this.projects[Math.floor(rnd() * this.projects.length)];
    const recent = (map) => (map.size === 0 ? 1 : [...map.keys()][Math.max(0, map.size - 1 - Math.floor(rnd() * 20))]);
    this.request(`/api/v1/orgs/${org}`);
    if (rnd() < 0.5) this.request(`/api/v1/projects/${org}/${project}`);
    if (rnd() < 0.12) this.request(`/api/v1/projects/${org}/${project}/evaluations`, { method: 'POST' });
    const evaluation = recent(this.evaluations);
    if (rnd() < 0.5) this.request(`/api/v1/evals/${evaluation}`);
    if (rnd() < 0.3) this.request(`/api/v1/evals/${evaluation}/builds`);
    const build = recent(this.builds);
    if (rnd() < 0.5) this.request(`/api/v1/builds/${build}`);
    if (rnd() < 0.2) this.request(`/api/v1/builds/${build}/log`, { abortAfterMs: rnd() < 0.4 ? 40 : undefined });
    if (rnd() < 0.1) this.request(`/api/v1/builds/${1e9 + Math.floor(rnd() * 1e6)}`); // an id that does not exist
    if (rnd() < 0.2) this.request(`/api/v1/caches/${this.caches[Math.floor(rnd() * this.caches.length)]}/stats`);
    if (rnd() < 0.6) this.request(`/cache/${this.caches[Math.floor(rnd() ** 2 * this.caches.length)]}/nar/${Math.floor(rnd() * 1e12).toString(36)}.nar`);
    if (rnd() < 0.1) this.request(`${SCANS[Math.floor(rnd() * SCANS.length)]}?probe=${Math.floor(rnd() * 1e9)}`);
  }
}
