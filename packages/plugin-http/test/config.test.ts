// The plugin chosen by package name in a metricore.config.json: the loader makes it from its
// options, and httpMetricsOf(host) gives back the adapters.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHostFromConfig } from '@metricore/framework';
import { httpMetricsOf } from '@metricore/plugin-http';
import { scrapeHost } from '@metricore/framework/testing';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('config file', () => {
  it('loads @metricore/plugin-http by package name with options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metricore-http-config-'));
    try {
      mkdirSync(join(dir, 'node_modules', '@metricore'), { recursive: true });
      symlinkSync(packageDir, join(dir, 'node_modules', '@metricore', 'plugin-http'), 'dir');
      writeFileSync(
        join(dir, 'metricore.config.json'),
        JSON.stringify({ registry: `config-${process.pid}-${Date.now()}`, plugins: [['@metricore/plugin-http', { naming: 'prom-client', prefix: 'gradient_' }]] }),
      );
      const host = await createHostFromConfig(dir);
      const plugin = httpMetricsOf(host)!;
      expect(host.plugins).toEqual(['@metricore/plugin-http']);
      const server = createServer(plugin.wrap((_req, res) => res.end('ok'), '/health'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      await (await fetch(`http://127.0.0.1:${port}/health`)).text();
      server.close();
      const scrape = await scrapeHost(host);
      expect(scrape.histogram('gradient_http_request_duration_seconds', { method: 'GET', route: '/health', status_code: '200' })?.count).toBe(1);
      await host.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
