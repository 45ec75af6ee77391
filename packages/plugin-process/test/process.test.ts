/**
 * process: the process-wide and per-thread figures, checked against independent sources (the
 * kernel's /proc, libuv, V8) and against prom-client's collectDefaultMetrics() names and types.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { totalmem } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { parseScrape, scrapeHost, scrapeUrl } from '@metricore/framework/testing';
import processMetrics from '@metricore/plugin-process';
import promClient from 'prom-client';
import { busyFor, host, sleep } from './helpers.js';

describe('prom-client compatibility', () => {
  it('has every default metric of prom-client 15 under the same name, type and label names (except the private-API ones)', async () => {
    const registry = new promClient.Registry();
    promClient.collectDefaultMetrics({ register: registry });
    // Run a GC-heavy moment so prom-client's GC family has series to compare labels with.
    for (let i = 0; i < 200; i++) new Array(10_000).fill(i).map(String);
    await sleep(50);
    const theirs = parseScrape(await registry.metrics());
    const ours = await scrapeHost(host({ plugins: [processMetrics()] }));

    // Not provided: these need private Node APIs (_getActiveHandles/_getActiveRequests) or are the
    // reset-per-scrape event-loop gauges that nodejs_eventloop_delay_seconds replaces.
    const replaced = /^nodejs_(active_handles|active_requests|eventloop_lag)/;
    const compared = theirs.families.filter((f) => !replaced.test(f.name));
    expect(compared.length).toBeGreaterThanOrEqual(17);
    for (const family of compared) {
      const mine = ours.family(family.name);
      expect(mine, family.name).toBeDefined();
      expect(mine!.type, family.name).toBe(family.type);
      const labelNames = (f: typeof family) => [...new Set(f.metrics.flatMap((m) => Object.keys(m.labels ?? {})))].sort();
      if (family.metrics.length > 0) expect(labelNames(mine!), family.name).toEqual(labelNames(family));
    }
  });
});

describe('process-wide figures', () => {
  it('reports RSS, virtual size and VmData close to what /proc/self/status says right after', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics()] }));
    const status = readFileSync('/proc/self/status', 'latin1');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
    const rss = scrape.value('process_resident_memory_bytes')!;
    expect(rss).toBeGreaterThan(0);
    expect(Math.abs(rss - kb('VmRSS'))).toBeLessThan(16 * 1024 * 1024);
    expect(scrape.value('process_virtual_memory_bytes')).toBeGreaterThanOrEqual(rss);
    expect(scrape.value('process_heap_bytes')).toBeGreaterThan(0);
  });

  it('counts exactly the files a test opens and closes', async () => {
    const h = host({ plugins: [processMetrics()] });
    const before = (await scrapeHost(h)).value('process_open_fds')!;
    const fds = Array.from({ length: 7 }, () => openSync(import.meta.filename, 'r'));
    try {
      const during = (await scrapeHost(h)).value('process_open_fds')!;
      expect(during - before).toBe(7);
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    expect((await scrapeHost(h)).value('process_open_fds')).toBe(before);
  });

  it('reports the soft open-files limit of /proc/self/limits', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics()] }));
    const line = readFileSync('/proc/self/limits', 'latin1').split('\n').find((l) => l.startsWith('Max open files'))!;
    expect(scrape.value('process_max_fds')).toBe(Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]));
  });

  it('puts the start time at Date.now()/1000 - uptime, within a second', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics()] }));
    const expected = Date.now() / 1000 - process.uptime();
    expect(Math.abs(scrape.value('process_start_time_seconds')! - expected)).toBeLessThanOrEqual(1);
  });

  it('counts all CPU time the process used, bracketed by process.cpuUsage() taken around the scrape', async () => {
    const h = host({ plugins: [processMetrics()] });
    const seconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
    const userSeconds = (u: NodeJS.CpuUsage) => u.user / 1e6;
    const scrapeBracketed = async () => {
      const before = process.cpuUsage();
      const scrape = await scrapeHost(h);
      return { before, scrape, after: process.cpuUsage() };
    };
    const first = await scrapeBracketed();
    const total = first.scrape.value('process_cpu_seconds_total')!;
    expect(total).toBeGreaterThanOrEqual(seconds(first.before) - 1e-6);
    expect(total).toBeLessThanOrEqual(seconds(first.after) + 1e-6);
    expect(total).toBeCloseTo(first.scrape.value('process_cpu_user_seconds_total')! + first.scrape.value('process_cpu_system_seconds_total')!, 6);
    busyFor(300);
    const second = await scrapeBracketed();
    const grown = second.scrape.value('process_cpu_user_seconds_total')! - first.scrape.value('process_cpu_user_seconds_total')!;
    // On a shared machine the busy loop gets less than 300 ms of CPU: compare with what the kernel counted.
    expect(grown).toBeGreaterThanOrEqual(userSeconds(second.before) - userSeconds(first.after) - 1e-6);
    expect(grown).toBeLessThanOrEqual(userSeconds(second.after) - userSeconds(first.before) + 1e-6);
    expect(grown).toBeGreaterThan(0.02);
    expect(second.scrape.family('process_cpu_seconds_total')?.type).toBe('COUNTER');
  });

  it('reports the memory limit libuv sees (cgroup limit, else physical memory)', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics()] }));
    const constrained = process.constrainedMemory?.() ?? 0;
    const expected = constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
    expect(scrape.value('process_memory_limit_bytes')).toBe(expected);
  });

  it('labels nodejs_version_info with this Node version', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics()] }));
    const [major, minor, patch] = process.versions.node.split('.');
    expect(scrape.value('nodejs_version_info', { version: process.version, major, minor, patch })).toBe(1);
  });
});

describe('per-thread figures', () => {
  it("reports every V8 heap space with prom-client's space names and sane heap totals", async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics()] }));
    for (const space of getHeapSpaceStatistics()) {
      const name = space.space_name.replace(/_space$/, '');
      expect(scrape.value('nodejs_heap_space_size_total_bytes', { space: name }), name).toBeGreaterThanOrEqual(0);
    }
    expect(scrape.value('nodejs_heap_space_size_used_bytes', { space: 'old' })).toBeGreaterThan(0);
    const used = scrape.value('nodejs_heap_size_used_bytes')!;
    expect(used).toBeGreaterThan(1024 * 1024);
    expect(scrape.value('nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(used);
    expect(scrape.value('nodejs_external_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts active resources by type, and sets a type that is gone to 0', async () => {
    const h = host({ plugins: [processMetrics()] });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const open = await scrapeHost(h);
    expect(open.value('nodejs_active_resources', { type: 'TCPServerWrap' })).toBeGreaterThanOrEqual(1);
    expect(open.value('nodejs_active_resources_total')).toBeGreaterThanOrEqual(1);
    const servers = open.value('nodejs_active_resources', { type: 'TCPServerWrap' })!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const closed = await scrapeHost(h);
    expect(closed.value('nodejs_active_resources', { type: 'TCPServerWrap' })).toBe(servers - 1);
  });

  it('records GC pauses by kind', async () => {
    const h = host({ plugins: [processMetrics()] });
    const garbage: unknown[] = [];
    for (let i = 0; i < 300; i++) garbage[i % 10] = new Array(20_000).fill(i).map(String);
    await sleep(50); // GC entries reach the observer asynchronously.
    const minor = (await scrapeHost(h)).histogram('nodejs_gc_duration_seconds', { kind: 'minor' })!;
    expect(minor.count).toBeGreaterThan(0);
    expect(minor.sum).toBeGreaterThan(0);
    expect(minor.buckets['+Inf']).toBe(minor.count);
  });

  it('records a blocked event loop in a cumulative delay histogram that is never reset', async () => {
    const h = host({ plugins: [processMetrics({ eventLoopResolutionMs: 5 })] });
    await sleep(100);
    const before = (await scrapeHost(h)).histogram('nodejs_eventloop_delay_seconds')!;
    busyFor(300);
    await sleep(30);
    const after = (await scrapeHost(h)).histogram('nodejs_eventloop_delay_seconds')!;
    // The 300 ms block lands above the 0.25 s bound and adds at least 0.25 s to the sum.
    expect(after.count - after.buckets['0.25'] - (before.count - before.buckets['0.25'])).toBeGreaterThanOrEqual(1);
    expect(after.sum - before.sum).toBeGreaterThanOrEqual(0.25);
    // Cumulative: no bucket ever goes down between scrapes.
    for (const [le, n] of Object.entries(before.buckets)) expect(after.buckets[le], le).toBeGreaterThanOrEqual(n);
    expect(after.count).toBeGreaterThan(before.count);
  });

  it('reports event-loop utilisation as active/idle counters and a ratio', async () => {
    const h = host({ plugins: [processMetrics()] });
    const first = await scrapeHost(h);
    busyFor(200);
    await sleep(200);
    const second = await scrapeHost(h);
    const active = second.value('nodejs_eventloop_active_seconds_total')! - first.value('nodejs_eventloop_active_seconds_total')!;
    const idle = second.value('nodejs_eventloop_idle_seconds_total')! - first.value('nodejs_eventloop_idle_seconds_total')!;
    expect(active).toBeGreaterThanOrEqual(0.19);
    expect(idle).toBeGreaterThan(0.1);
    const ratio = second.value('nodejs_eventloop_utilization_ratio')!;
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(0.8);
  });
});

describe('exposition', () => {
  it('passes promtool check metrics, except the prom-client name it keeps for dashboards', async () => {
    const plugin = processMetrics({ children: { labelNames: ['job'] } });
    const h = host({ plugins: [plugin] });
    plugin.watchPid(process.pid, { job: 'self' });
    const result = spawnSync('promtool', ['check', 'metrics'], { input: await h.metrics(), encoding: 'utf8' });
    // prom-client names a gauge nodejs_active_resources_total; renaming it would break dashboards.
    expect(result.stdout + result.stderr).toBe('nodejs_active_resources_total non-counter metrics should not have "_total" suffix\n');
  });
});

describe('over HTTP', () => {
  it('serves the figures on /metrics of a real endpoint', async () => {
    const h = host({ plugins: [processMetrics()] });
    const { url } = await h.listen({ port: 0, host: '127.0.0.1' });
    const scrape = await scrapeUrl(`${url}`);
    expect(scrape.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(scrape.value('metricore_plugin_errors_total', { plugin: '@metricore/plugin-process', hook: 'collect' })).toBeUndefined();
  });
});
