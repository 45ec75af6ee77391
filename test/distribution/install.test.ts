/**
 * install from tarballs: every publishable package and this machine's platform package, packed as a release packs
 * them, installed into a fresh app with no cargo on PATH; the quickstart records, scrapes over HTTP and checks its
 * values from ESM and from CommonJS (install-from-tarballs.mjs does the work; this checks what it reports).
 */
import { spawnSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), 'install-from-tarballs.mjs');

describe('installing the packed packages', () => {
  it('runs the quickstart from ESM and CommonJS with the platform package binary and no Rust on PATH, and names the package when it is gone', () => {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const summary = lines.pop().summary;
    expect(lines).toHaveLength(3);
    const platformPackage = `@metricore/core-native-${summary.platform}`;
    expect(summary.runs).toEqual(['esm', 'cjs']);
    expect(summary.path.split(delimiter)).not.toContain(join(process.env.HOME ?? '/root', '.cargo', 'bin'));
    const names = summary.packages.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining([platformPackage, '@metricore/core-native', '@metricore/framework', '@metricore/plugin-http', '@metricore/plugin-process']));
    for (const [i, format] of ['esm', 'cjs'].entries()) {
      const result = lines[i];
      expect(result.format).toBe(format);
      expect(result.nativeBinary).toContain(join('node_modules', '@metricore', `core-native-${summary.platform}`, `core-native.${summary.platform}.node`));
      expect(result.values).toEqual({
        builds_succeeded: 3,
        builds_failed: 1,
        build_seconds: { count: 4, sum: 555.5, buckets: { 1: 1, 10: 2, 100: 3, '+Inf': 4 } },
        queue_depth: 7,
        http_families: ['http_server_active_requests', 'http_server_request_duration_seconds'],
        http_requests: 1,
        process_families: expect.any(Number),
      });
      expect(result.values.process_families).toBeGreaterThan(0);
    }
    // Without the platform package (as after --omit=optional), importing says which package this machine needs.
    const { missing } = lines[2];
    for (const format of ['esm', 'cjs']) {
      expect(missing[format].code, format).toBe('METRICORE_NATIVE_MISSING');
      expect(missing[format].message, format).toContain(`This machine is ${summary.platform} (Node.js ${process.version})`);
      expect(missing[format].message, format).toContain(`its prebuilt binary is the package ${platformPackage}`);
      expect(missing[format].message, format).toContain('reinstall without --omit=optional');
    }
    // The main package carries the loader and types only; the binary is the platform package's.
    const core = summary.packages.find((p: { name: string }) => p.name === '@metricore/core-native');
    expect(core.entryCount).toBe(3);
  });
});
