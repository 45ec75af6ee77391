// packages: the publishable packages of this repository and this machine's napi-rs platform package, and how to
// pack them the way a release does. Shared by install-from-tarballs.mjs and the tests in this folder.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** repoRoot: the repository's root folder. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** coreDir: the napi-rs package `@metricore/core-native`. */
export const coreDir = join(repoRoot, 'core-native');

const npmCommand = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** isMusl: whether this Linux runs on musl libc (Alpine), the way napi-rs's loader tells. */
function isMusl() {
  if (process.platform !== 'linux') return false;
  const header = process.report.getReport().header;
  return !header.glibcVersionRuntime;
}

/** platformKey: napi-rs's name for this machine's platform package, e.g. `linux-x64-gnu`, `win32-x64-msvc`. */
export function platformKey() {
  if (process.platform === 'linux') return `linux-${process.arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (process.platform === 'win32') return `win32-${process.arch}-msvc`;
  return `${process.platform}-${process.arch}`;
}

/**
 * publishableDirs: core-native first, then every non-private workspace under packages/ (the framework and the
 * plugins, including ones added later).
 */
export function publishableDirs() {
  const dirs = readdirSync(join(repoRoot, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(repoRoot, 'packages', d.name, 'package.json')))
    .map((d) => join(repoRoot, 'packages', d.name))
    .filter((dir) => readJson(join(dir, 'package.json')).private !== true)
    .sort();
  return [coreDir, ...dirs];
}

/** npm: runs the npm CLI and returns its stdout. */
export function npm(args, options = {}) {
  return execFileSync(npmCommand, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32', ...options });
}

/** pack: `npm pack --json` of `dir` into `dest`; returns npm's report (name, filename, size, unpackedSize, files). */
export function pack(dir, dest, options = {}) {
  const [report] = JSON.parse(npm(['pack', '--json', '--pack-destination', dest], { cwd: dir, ...options }));
  return { ...report, tarball: join(dest, report.filename) };
}

/**
 * stagePlatformPackage: what `napi artifacts` does for one target: core-native/npm/<key> with the built
 * `core-native.<key>.node` copied in, staged in `stage` so the repository's folder is left as it is.
 */
export function stagePlatformPackage(key, stage) {
  const src = join(coreDir, 'npm', key);
  const binary = join(coreDir, `core-native.${key}.node`);
  if (!existsSync(src)) throw new Error(`no platform package folder core-native/npm/${key}: add the target to core-native/package.json's napi.targets and run napi create-npm-dirs`);
  if (!existsSync(binary)) throw new Error(`no ${binary}: build the core first (npm run build -w @metricore/core-native)`);
  const dir = join(stage, `platform-${key}`);
  cpSync(src, dir, { recursive: true });
  copyFileSync(binary, join(dir, `core-native.${key}.node`));
  return dir;
}

/**
 * stageCorePackage: what `napi prepublish` does to the main package: every target's platform package added to
 * optionalDependencies at the package's own version, so npm installs the one that fits this machine.
 */
export function stageCorePackage(stage) {
  const dir = join(stage, 'core-native');
  mkdirSync(dir, { recursive: true });
  const manifest = readJson(join(coreDir, 'package.json'));
  for (const f of manifest.files) copyFileSync(join(coreDir, f), join(dir, f));
  const keys = readdirSync(join(coreDir, 'npm')).sort();
  manifest.optionalDependencies = Object.fromEntries(keys.map((k) => [`${manifest.name}-${k}`, manifest.version]));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

/** pathWithoutCargo: PATH with every folder that holds cargo or rustc left out (a user's machine without Rust). */
export function pathWithoutCargo(path = process.env.PATH ?? '') {
  const exe = process.platform === 'win32' ? '.exe' : '';
  return path
    .split(delimiter)
    .filter((d) => d !== '' && !existsSync(join(d, `cargo${exe}`)) && !existsSync(join(d, `rustc${exe}`)))
    .join(delimiter);
}
