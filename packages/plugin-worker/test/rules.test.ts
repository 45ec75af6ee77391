/**
 * rules: the recording rules and alerts in rules/ pass `promtool check rules` and their unit tests
 * (`promtool test rules`), and a broken expectation is caught, so the check can fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mustSkip, tool } from './helpers.js';

const RULES = fileURLToPath(new URL('../rules/', import.meta.url));
const promtool = tool('promtool');

describe('rules', () => {
  it.skipIf(mustSkip(promtool))('pass promtool check rules', () => {
    expect(promtool, 'promtool is not installed (Debian package "prometheus"); CI must install it').toBeDefined();
    const r = spawnSync(promtool!, ['check', 'rules', 'worker.rules.yml'], { cwd: RULES, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS: 8 rules found');
    expect(r.status).toBe(0);
  });

  it.skipIf(mustSkip(promtool))('pass their promtool unit tests, and a wrong expectation fails them', () => {
    expect(promtool, 'promtool is not installed (Debian package "prometheus"); CI must install it').toBeDefined();
    const r = spawnSync(promtool!, ['test', 'rules', 'worker.rules.test.yml'], { cwd: RULES, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);

    const dir = mkdtempSync(join(tmpdir(), 'metricore-worker-rules-'));
    try {
      copyFileSync(join(RULES, 'worker.rules.yml'), join(dir, 'worker.rules.yml'));
      const broken = readFileSync(join(RULES, 'worker.rules.test.yml'), 'utf8').replace('value: 0.25', 'value: 0.5');
      writeFileSync(join(dir, 'worker.rules.test.yml'), broken);
      const bad = spawnSync(promtool!, ['test', 'rules', 'worker.rules.test.yml'], { cwd: dir, encoding: 'utf8' });
      expect(bad.status).not.toBe(0);
      expect(bad.stdout + bad.stderr).toContain('worker:transfer_failure_ratio:rate5m');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
