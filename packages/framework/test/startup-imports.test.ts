/**
 * startup-imports: what importing the framework and creating a host loads, from both builds, in a
 * fresh process. node:crypto, node:http, node:net, node:zlib, negotiator, semver and ms are loaded
 * on first use (a token, listen(), a scrape, an unusual version range, a duration string), tapable's hook classes on the
 * first access to `host.hooks`, and tapable's index that pulls in all twelve hook kinds never: each
 * retained 0.1-0.3 MiB of heap at import (issue #17; benchmarks/src/startup.bench.mjs measures the
 * heap itself).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const LAZY_BUILTINS = ['crypto', 'http', 'net', 'zlib'];
const LAZY_PACKAGES = ['/semver/', '/negotiator/', '/tapable/', '/node_modules/ms/'];

/** loadedAfterHost: builtins and package files loaded once `load` made a host (with a plugin declaring a range). */
function loadedAfterHost(load: string, afterwards = ''): { builtins: string[]; files: string[] } {
  const script = `
    const { createRequire } = require('node:module');
    const req = createRequire(${JSON.stringify(`${process.cwd()}/packages/framework/`)});
    (async () => {
      const { MetricsHost } = ${load};
      const host = new MetricsHost({ registry: 'startup', plugins: [{ name: 'p', framework: '^0.1.0', apply() {} }] });
      await host.ready();
      ${afterwards}
      const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
      console.log(JSON.stringify({ builtins, files: Object.keys(require.cache) }));
      await host.close();
    })();`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

describe.each([
  ['import', "await import(req.resolve('@metricore/framework').replace(/index\\\\.cjs$/, 'index.js'))"],
  ['require', "req('@metricore/framework')"],
])('startup imports (%s)', (_build, load) => {
  it('creating a host loads none of what only a token, listen(), a scrape, hooks or an unusual range need', () => {
    const { builtins, files } = loadedAfterHost(load);
    expect(builtins.filter((b) => LAZY_BUILTINS.includes(b))).toEqual([]);
    expect(files.filter((f) => LAZY_PACKAGES.some((p) => f.includes(p)))).toEqual([]);
  });

  it('a scrape, hooks and an unusual version range load what they need on first use', () => {
    const afterwards = `
      host.hooks.collect.tapPromise('p', async () => {});
      const { url } = await host.listen({ port: 0 });
      const res = await fetch(url, { headers: { accept: 'application/openmetrics-text' } });
      if (res.status !== 200) throw new Error('scrape answered ' + res.status);
      host.use({ name: 'q', framework: '>=0.1.0 <1.0.0', apply() {} });`;
    const { files } = loadedAfterHost(load, afterwards);
    expect(files.filter((f) => f.includes('/negotiator/index.js'))).toHaveLength(1);
    expect(files.filter((f) => f.includes('/semver/index.js'))).toHaveLength(1);
    expect(files.filter((f) => f.includes('/tapable/')).map((f) => f.slice(f.lastIndexOf('/tapable/')))).toEqual(
      expect.arrayContaining(['/tapable/lib/SyncHook.js', '/tapable/lib/AsyncParallelHook.js']),
    );
    expect(files.some((f) => f.endsWith('/tapable/lib/index.js'))).toBe(false);
  });
});
