/**
 * discovery: the service-discovery list over real HTTP (format, token, methods, expiry) and the
 * announcement payload a worker builds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import workerMetrics, { announcement, PLUGIN_NAME, serviceDiscovery, type ServiceDiscovery } from '../src/index.js';
import { host, waitFor } from './helpers.js';

const open: ServiceDiscovery[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sd) => sd.close()));
});

async function served(options: Parameters<typeof serviceDiscovery>[0] = {}) {
  const sd = serviceDiscovery(options);
  open.push(sd);
  const { url } = await sd.listen({ port: 0 });
  return { sd, url };
}

describe('serviceDiscovery', () => {
  it('answers [] before any worker announced, as JSON with status 200', async () => {
    const { url } = await served();
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('[]');
  });

  it('lists announced workers sorted by id, refreshes a re-announced one, and removes one that leaves', async () => {
    const { sd, url } = await served();
    sd.announce(announcement({ id: 'w2', url: 'http://10.0.0.2:9464/metrics', labels: { pool: 'aarch64' } }));
    sd.announce(announcement({ id: 'w1', url: 'https://10.0.0.1:9100/internal/metrics' }));
    sd.announce(announcement({ id: 'w2', url: 'http://10.0.0.2:9465/metrics', labels: { pool: 'aarch64' } }));
    expect(await (await fetch(url)).json()).toEqual([
      { targets: ['10.0.0.1:9100'], labels: { worker: 'w1', __metrics_path__: '/internal/metrics', __scheme__: 'https' } },
      { targets: ['10.0.0.2:9465'], labels: { pool: 'aarch64', worker: 'w2' } },
    ]);
    expect(sd.leave('w1')).toBe(true);
    expect(sd.leave('w1')).toBe(false);
    expect(sd.targets().map((g) => g.labels.worker)).toEqual(['w2']);
  });

  it('drops a worker whose last announcement is older than timeoutMs', async () => {
    const { sd, url } = await served({ timeoutMs: 200 });
    sd.announce({ id: 'w1', targets: ['127.0.0.1:1234'], labels: {} });
    expect(sd.targets()).toHaveLength(1);
    await waitFor(async () => ((await (await fetch(url)).json()).length === 0 ? true : undefined), 'the announcement to time out');
  });

  it('wants the token when one is set, and only GET or HEAD', async () => {
    const { sd, url } = await served({ token: 'sd-secret' });
    sd.announce({ id: 'w1', targets: ['127.0.0.1:1234'] });
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer sd-secret' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual([{ targets: ['127.0.0.1:1234'], labels: { worker: 'w1' } }]);
    const post = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer sd-secret' } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('checks payloads from the network with coded errors naming the field', () => {
    const sd = serviceDiscovery();
    expect(() => sd.announce({ id: 'w1', targets: ['http://10.0.0.1:9464'] })).toThrow(
      expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: `${PLUGIN_NAME} announce(): option "targets.0": must be host:port` }),
    );
    expect(() => sd.announce({ id: 'w1', targets: ['10.0.0.1:9464'], labels: { 'bad-name': 'x' } })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: expect.stringContaining('"labels.bad-name"') }));
    expect(() => sd.announce({ id: 'w1', targets: ['10.0.0.1:9464'], labels: { __address__: 'x' } })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: expect.stringContaining('"labels.__address__": starts with "__", which Prometheus reserves') }));
    expect(() => sd.announce({ id: '', targets: ['10.0.0.1:9464'] })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION' }));
    expect(() => sd.announce('w1')).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION' }));
    sd.announce({ id: 'w1', targets: ['[::1]:9464'], labels: { __meta_rack: 'r1' } });
    expect(sd.targets()).toHaveLength(1);
  });

  it('refuses a new worker past maxWorkers, but refreshes a listed one', () => {
    const sd = serviceDiscovery({ maxWorkers: 1 });
    sd.announce({ id: 'w1', targets: ['10.0.0.1:9464'] });
    sd.announce({ id: 'w1', targets: ['10.0.0.1:9464'] });
    expect(() => sd.announce({ id: 'w2', targets: ['10.0.0.2:9464'] })).toThrow(
      expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: `${PLUGIN_NAME} announce(): worker "w2" refused, 1 workers are listed already (maxWorkers)` }),
    );
  });

  it('rejects bad options', () => {
    expect(() => serviceDiscovery({ timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: expect.stringContaining('option "timeoutMs"') }));
  });
});

describe('announcement', () => {
  it('refuses an address Prometheus cannot reach', () => {
    expect(() => announcement({ id: 'w1', url: 'http://0.0.0.0:9464/metrics' })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: expect.stringContaining('listens on every interface') }));
    expect(() => announcement({ id: 'w1', url: 'not a url' })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION' }));
  });

  it('defaults to the address the host listens on', async () => {
    const worker = workerMetrics();
    const h = host({ plugins: [worker] });
    expect(() => worker.announcement({ id: 'w1' })).toThrow(expect.objectContaining({ message: expect.stringContaining('not listening yet') }));
    const { port } = await h.listen({ port: 0 });
    expect(worker.announcement({ id: 'w1', labels: { pool: 'x' } })).toEqual({ id: 'w1', targets: [`127.0.0.1:${port}`], labels: { pool: 'x', worker: 'w1' } });
  });
});
