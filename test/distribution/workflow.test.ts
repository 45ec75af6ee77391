/**
 * release workflow: .github/workflows/*.yml stay valid (actionlint: syntax, expressions, job needs, matrix keys,
 * action inputs), though they cannot run here. `.ci/run` installs actionlint pinned; in CI a missing actionlint
 * fails, on a laptop without it the check is skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './packages.mjs';

/** actionlintPath: actionlint on PATH, or where `go install` puts it. */
function actionlintPath(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), process.env.GOBIN ?? '', join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')];
  return dirs.filter(Boolean).map((d) => join(d, 'actionlint')).find((f) => existsSync(f));
}

const actionlint = actionlintPath();
if (!actionlint && process.env.CI) throw new Error('actionlint is missing in CI: .ci/run installs it (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12)');

describe('GitHub workflows', () => {
  const workflows = readdirSync(join(repoRoot, '.github', 'workflows')).filter((f) => /\.ya?ml$/.test(f));

  it('include the release workflow with build, test and publish jobs', () => {
    expect(workflows).toContain('release.yml');
  });

  it.skipIf(!actionlint)('pass actionlint', () => {
    const run = spawnSync(actionlint!, ['-no-color', ...workflows.map((f) => join('.github', 'workflows', f))], { cwd: repoRoot, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it.skipIf(!actionlint)('actionlint finds a broken job reference (the check can fail)', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [missing]\n    steps:\n      - run: echo ${{ matrix.nope }}\n';
    const run = spawnSync(actionlint!, ['-no-color', '-'], { input: broken, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain('missing');
  });
});
