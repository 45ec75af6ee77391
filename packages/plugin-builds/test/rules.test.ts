// The shipped Prometheus rules: promtool checks them and runs their unit tests, and every metric
// they read is one the plugin exposes (the exposition itself passes `promtool check metrics`).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTestHost } from '@metricore/framework/testing';
import buildsMetrics, { getHooks } from '../src/index.js';

const rulesDir = fileURLToPath(new URL('../rules/', import.meta.url));

function findPromtool(): string | undefined {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return 'promtool';
  if (process.env.CI) throw new Error('promtool is missing; .ci/run installs the prometheus package');
  return undefined;
}
const promtool = findPromtool();

function run(args: string[], input?: string) {
  const r = spawnSync(promtool!, args, { cwd: rulesDir, encoding: 'utf8', input });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(promtool === undefined)('shipped rules', () => {
  it('pass promtool check rules', () => {
    const r = run(['check', 'rules', 'builds.rules.yml']);
    expect(r.out).toContain('SUCCESS: 7 rules found');
    expect(r.status).toBe(0);
  });

  it('pass their promtool unit tests (recorded values and alerts)', () => {
    const r = run(['test', 'rules', 'builds.test.yml']);
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('read only metrics the plugin exposes, and that exposition passes promtool check metrics', async () => {
    const host = createTestHost({ plugins: [buildsMetrics()] });
    try {
      const ev = getHooks(host);
      ev.buildFinished.call({ org: 'o', project: 'p', status: 'completed', durationSeconds: 5, dispatchWaitSeconds: 1 });
      ev.schedulerChanged.call({ pending: 1, active: 1, workers: 1 });
      const text = await host.metrics();
      const rules = readFileSync(`${rulesDir}builds.rules.yml`, 'utf8');
      const used = new Set([...rules.matchAll(/\b(builds_total|build_duration_seconds_bucket|build_dispatch_wait_seconds_bucket|jobs_pending)\b/g)].map((m) => m[1]));
      expect(used.size).toBe(4);
      for (const name of used) expect(text, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
      const r = run(['check', 'metrics'], text);
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
    } finally {
      await host.close();
    }
  });
});
