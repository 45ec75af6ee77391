/**
 * The live view on a terminal: the demo run under a pseudo-terminal (util-linux `script`) draws a
 * frame with every section and redraws it in place (log-update erases the previous frame), and
 * `--prometheus` without Prometheus installed prints a one-line hint.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startPrometheus } from '../prometheus.mjs';

const SERVER = fileURLToPath(new URL('../server.mjs', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;

describe('the live view on a terminal', () => {
  // `script` is util-linux (Debian's essential bsdutils): CI has it; elsewhere a missing one skips.
  it.skipIf(!hasScript && !process.env.CI)('redraws a frame with every section in place', async () => {
    const command = `stty cols 140 rows 50; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(SERVER)} --port 0 --duration 9 --orgs 12`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c) => (out += String(c)));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    const plain = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''); // eslint-disable-line no-control-regex
    const frames = plain.split('metricore CI farm — ').length - 1;
    expect(frames).toBeGreaterThanOrEqual(2);
    for (const section of ['HTTP', 'Builds', 'queue', 'Workers', 'worker-a', 'worker-b', 'Cardinality', 'org values exposed']) expect(plain).toContain(section);
    // Redrawn in place: each new frame first erases the previous one's lines.
    expect(out).toContain('\x1b[2K');
    expect(plain).not.toMatch(/^\[\d+s\] http/m); // no plain lines on a terminal
    expect(plain).toMatch(/ci-farm: stopped; \d+ builds finished/);
  }, 60_000);

  it('explains in one line how to get Prometheus when it is not installed', async () => {
    const p = await startPrometheus({ server: '127.0.0.1:1', sdUrl: 'http://127.0.0.1:1/x', bin: 'prometheus-not-installed-here' });
    expect(p.url).toBeUndefined();
    expect(p.hint).toBe('prometheus: not installed; on Debian/Ubuntu `apt-get install prometheus`, then npm start -- --prometheus');
    await p.stop();
  });
});
