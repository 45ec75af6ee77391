#!/usr/bin/env node
// install-from-tarballs: what a user gets from `npm install @metricore/framework @metricore/plugin-http`, built
// here. Packs every publishable package and this machine's platform package (core-native/npm/<key> with the built
// binary, as `napi artifacts` + `napi prepublish` do at release), installs the tarballs into a fresh app in a
// temporary folder with no cargo or rustc on PATH, and runs the quickstart from ESM and from CommonJS. Prints one
// JSON line per quickstart run, then what importing the framework throws once the platform package is removed
// (`{"missing": ...}`), and a last `{"summary": ...}` line; exits non-zero on any failure.
// Runs as is on every OS of the release workflow (and inside Alpine for musl); test/distribution/install.test.ts runs it here.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npm, pack, pathWithoutCargo, platformKey, publishableDirs, stageCorePackage, stagePlatformPackage } from './packages.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const key = process.env.METRICORE_PLATFORM_KEY ?? platformKey();
const work = mkdtempSync(join(tmpdir(), 'metricore-dist-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
mkdirSync(tarballs);
mkdirSync(app);
// A user's PATH: node and npm, no Rust toolchain.
const PATH = [dirname(process.execPath), pathWithoutCargo()].join(delimiter);
const env = { ...process.env, PATH, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
for (const tool of ['cargo', 'rustc']) {
  const found = PATH.split(delimiter).find((d) => existsSync(join(d, process.platform === 'win32' ? `${tool}.exe` : tool)));
  if (found) throw new Error(`${tool} is still on the app's PATH (in ${found})`);
}

try {
  const stage = join(work, 'stage');
  const packed = [];
  packed.push(pack(stagePlatformPackage(key, stage), tarballs));
  for (const dir of publishableDirs()) packed.push(pack(dir.endsWith('core-native') ? stageCorePackage(stage) : dir, tarballs));
  const byName = Object.fromEntries(packed.map((p) => [p.name, p]));

  // The app depends on the framework and the plugins, as the README's install command does; the core and its
  // platform package arrive as the framework's dependency and the core's optional dependency, taken from the
  // tarballs through overrides (the registry has none of them).
  const platformName = `@metricore/core-native-${key}`;
  const direct = packed.filter((p) => p.name !== '@metricore/core-native' && p.name !== platformName);
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify(
      {
        name: 'metricore-dist-app',
        private: true,
        dependencies: Object.fromEntries(direct.map((p) => [p.name, `file:${p.tarball}`])),
        overrides: {
          '@metricore/core-native': `file:${byName['@metricore/core-native'].tarball}`,
          [platformName]: `file:${byName[platformName].tarball}`,
        },
      },
      null,
      2,
    )}\n`,
  );
  npm(['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env });

  const coreInstalled = join(app, 'node_modules', '@metricore', 'core-native');
  const strayBinaries = readdirSync(coreInstalled).filter((f) => f.endsWith('.node'));
  if (strayBinaries.length > 0) throw new Error(`@metricore/core-native ships ${strayBinaries.join(', ')}: binaries belong in the platform packages`);
  if (!existsSync(join(app, 'node_modules', ...platformName.split('/'), `core-native.${key}.node`))) {
    throw new Error(`npm did not install ${platformName} as @metricore/core-native's optional dependency`);
  }

  for (const f of ['quickstart-run.cjs', 'quickstart.mjs', 'quickstart.cjs']) copyFileSync(join(here, 'fixtures', f), join(app, f));
  const runs = [];
  for (const file of ['quickstart.mjs', 'quickstart.cjs']) {
    const out = execFileSync(process.execPath, [file], { cwd: app, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const run = JSON.parse(out.trim().split('\n').pop());
    const expected = join('node_modules', ...platformName.split('/'));
    if (!run.nativeBinary || !run.nativeBinary.includes(expected)) {
      throw new Error(`${file} loaded ${run.nativeBinary}, not the binary of ${platformName}`);
    }
    process.stdout.write(out);
    runs.push(run.format);
  }
  // The same app as after `npm install --omit=optional`: the platform package is gone, nothing to fall back on.
  rmSync(join(app, 'node_modules', ...platformName.split('/')), { recursive: true, force: true });
  const missing = {};
  for (const [format, code] of [
    ['esm', "import('@metricore/framework').then(() => console.log('loaded'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))"],
    ['cjs', "try { require('@metricore/framework'); console.log('loaded') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }"],
  ]) {
    missing[format] = JSON.parse(execFileSync(process.execPath, ['-e', code], { cwd: app, env, encoding: 'utf8' }).trim());
  }
  process.stdout.write(`${JSON.stringify({ missing })}\n`);

  const sizes = packed.map(({ name, filename, size, unpackedSize, entryCount }) => ({ name, filename, size, unpackedSize, entryCount }));
  process.stdout.write(`${JSON.stringify({ summary: { platform: key, path: PATH, runs, packages: sizes } })}\n`);
} finally {
  if (!process.env.METRICORE_KEEP_DIST_APP) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
}
