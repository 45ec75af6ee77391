/**
 * publishable packages: each passes publint and @arethetypeswrong/cli (ESM and CommonJS entry points and every
 * subpath, node10 included), and `npm publish --dry-run` ships only what users need: built code, types, the
 * binary in the platform package; no tests, sources, benchmarks or source maps. Prints each package's size.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npm, platformKey, publishableDirs, repoRoot, stagePlatformPackage } from './packages.mjs';

interface PublishedFile { path: string; size: number }
interface DryRun { name: string; size: number; unpackedSize: number; files: PublishedFile[] }

/** publishDryRun: `npm publish --dry-run` (scripts off: core-native's prepublishOnly would publish platform packages). */
function publishDryRun(dir: string): DryRun {
  const out = npm(['publish', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: dir });
  return Object.values(JSON.parse(out) as Record<string, DryRun>)[0];
}

/** What no published package may carry. */
const NOT_FOR_USERS = [/(^|\/)(src|test|tests|__tests__|benchmarks?|fixtures)\//, /\.test\.[cm]?[jt]s$/, /\.map$/, /tsconfig.*\.json$/, /\.tsbuildinfo$/, /tsup\.config/];

const sizes: Array<{ name: string; files: number; packed: number; unpacked: number }> = [];
let stage = '';
beforeAll(() => {
  stage = mkdtempSync(join(tmpdir(), 'metricore-publish-'));
});
afterAll(() => {
  if (stage) rmSync(stage, { recursive: true, force: true });
  console.log(sizes.map((s) => `${s.name}: ${s.files} files, ${(s.packed / 1024).toFixed(1)} kB packed, ${(s.unpacked / 1024).toFixed(1)} kB unpacked`).join('\n'));
});

const platformDir = () => stagePlatformPackage(platformKey(), stage);

describe.each(publishableDirs().map((dir) => [dir.slice(repoRoot.length + 1), dir]))('%s', (_name, dir) => {
  it('passes publint (strict)', async () => {
    const { messages, pkg } = await publint({ pkgDir: dir, strict: true, level: 'warning' });
    expect(messages.map((m) => formatMessage(m, pkg))).toEqual([]);
  });

  it('passes @arethetypeswrong/cli for every entry point and resolution mode', () => {
    const run = spawnSync(join(repoRoot, 'node_modules', '.bin', 'attw'), ['--pack', '.', '--format', 'json'], { cwd: dir, encoding: 'utf8', shell: process.platform === 'win32' });
    const { analysis } = JSON.parse(run.stdout) as {
      analysis: { problems: unknown[]; entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }> };
    };
    expect(analysis.problems).toEqual([]);
    for (const [subpath, { resolutions }] of Object.entries(analysis.entrypoints)) {
      if (subpath.includes('*') || subpath.endsWith('package.json')) continue;
      for (const kind of ['node10', 'node16-cjs', 'node16-esm', 'bundler']) {
        expect(resolutions[kind]?.resolution?.fileName, `${subpath} ${kind}`).toMatch(/\.d\.[cm]?ts$/);
      }
    }
    expect(run.status).toBe(0);
  });

  it('publishes only what users need', () => {
    const dry = publishDryRun(dir);
    const paths = dry.files.map((f) => f.path);
    sizes.push({ name: dry.name, files: paths.length, packed: dry.size, unpacked: dry.unpackedSize });
    expect(paths.filter((p) => NOT_FOR_USERS.some((re) => re.test(p)))).toEqual([]);
    expect(paths).toContain('package.json');
    if (basename(dir) === 'core-native') expect(paths.sort()).toEqual(['index.d.ts', 'index.js', 'package.json']);
    else expect(paths.filter((p) => p.startsWith('dist/')).length).toBeGreaterThan(0);
  });
});

describe(`platform package @metricore/core-native-${platformKey()}`, () => {
  it('passes publint and publishes the binary, its README and package.json only', async () => {
    const dir = platformDir();
    const { messages, pkg } = await publint({ pkgDir: dir, strict: true, level: 'warning' });
    expect(messages.map((m) => formatMessage(m, pkg))).toEqual([]);
    const dry = publishDryRun(dir);
    sizes.push({ name: dry.name, files: dry.files.length, packed: dry.size, unpacked: dry.unpackedSize });
    expect(dry.files.map((f) => f.path).sort()).toEqual(['README.md', `core-native.${platformKey()}.node`, 'package.json']);
  });
});
