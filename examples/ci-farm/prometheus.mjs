// `--prometheus`: Debian's `prometheus`, when installed, started on a loopback port in a temporary
// directory with a generated config: the server as a static target, the workers found through the
// server's http_sd list, and the plugins' shipped recording rules and alerts.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** rulesFile: a shipped rules file of a first-party plugin, by package and file name. */
export const rulesFile = (pkg, file) => join(dirname(require.resolve(pkg)), '..', 'rules', file); // <pkg>/dist/index.cjs -> <pkg>/rules

/** prometheusConfig: the config the demo generates (docs/deployment.md shows it). */
export function prometheusConfig({ server, sdUrl, interval = '2s' }) {
  return {
    // Short intervals for a demo (2 s, like the live view); a scrape may take up to the whole interval.
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: [
      rulesFile('@metricore/plugin-builds', 'builds.rules.yml'), // build failures, queue growth, dispatch wait
      rulesFile('@metricore/plugin-worker', 'worker.rules.yml'), // transfers, slot saturation, queue wait
      fileURLToPath(new URL('./rules/ci-farm.rules.yml', import.meta.url)), // slow routes, 5xx
    ],
    scrape_configs: [
      { job_name: 'ci-server', static_configs: [{ targets: [server] }] },
      { job_name: 'build-workers', http_sd_configs: [{ url: sdUrl, refresh_interval: interval }] },
    ],
  };
}

async function freePort() {
  const s = createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/**
 * startPrometheus: starts one when `prometheus` runs here and resolves `{ url, stop }` once it is
 * ready; otherwise `{ hint, stop }` with a one-line hint. `stop()` ends it and removes its directory.
 */
export async function startPrometheus({ server, sdUrl, bin = 'prometheus' }) {
  if (spawnSync(bin, ['--version']).status !== 0) {
    return { hint: 'prometheus: not installed; on Debian/Ubuntu `apt-get install prometheus`, then npm start -- --prometheus', stop: async () => {} };
  }
  const config = JSON.stringify(prometheusConfig({ server, sdUrl }), null, 2); // JSON is YAML
  const dir = mkdtempSync(join(tmpdir(), 'metricore-ci-farm-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const child = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(dir, 'data')}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group: Ctrl-C reaches the demo, which stops it in order
  });
  let log = '';
  child.stderr.on('data', (c) => (log = (log + c).slice(-20_000)));
  const exited = once(child, 'exit');
  // It runs in its own process group: if the demo dies without stopping it, it goes too.
  const orphaned = () => child.kill('SIGTERM');
  process.on('exit', orphaned);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    process.off('exit', orphaned);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited at start: ${log.slice(-2000)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) return { url, dir, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 30 s: ${log.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
