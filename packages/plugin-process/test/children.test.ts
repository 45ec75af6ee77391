/**
 * children: processes the test spawns, watched with watchPid(), sampled with pidusage at scrape,
 * and gone from the exposition once they exit or are unwatched.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScrape, scrapeHost } from '@metricore/framework/testing';
import processMetrics from '@metricore/plugin-process';
import { host, sleep } from './helpers.js';

const BUSY = 'const end = Date.now() + 60_000; while (Date.now() < end) {}';
const IDLE = 'setTimeout(() => {}, 60_000)';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

const children: ChildProcess[] = [];
function start(code: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  children.push(child);
  return child;
}
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** cpuSeconds: utime + stime of `pid` straight from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

function debugLog() {
  const messages: string[] = [];
  return { messages, logger: { debug: (message: string) => messages.push(message) } };
}

describe('watched child processes', () => {
  it('shows a busy child with plausible CPU and memory, and removes its series once it exits', async () => {
    const { messages, logger } = debugLog();
    const plugin = processMetrics({ children: { labelNames: ['job'] }, logger });
    const h = host({ plugins: [plugin] });
    const child = start(BUSY);
    await once(child, 'spawn');
    plugin.watchPid(child.pid!, { job: 'busy' });
    await sleep(800);

    const before = cpuSeconds(child.pid!);
    const live = await scrapeHost(h);
    const after = cpuSeconds(child.pid!);
    const cpu = live.value('process_child_cpu_seconds_total', { job: 'busy' })!;
    // pidusage reads the same /proc file: the counter lies between the kernel's figures around the scrape.
    expect(cpu).toBeGreaterThanOrEqual(before - 0.011);
    expect(cpu).toBeLessThanOrEqual(after + 0.011);
    expect(cpu).toBeGreaterThan(0.1); // A busy loop for 800 ms, even on a loaded 2-core machine.
    expect(live.value('process_child_processes', { job: 'busy' })).toBe(1);
    expect(live.value('process_child_resident_memory_bytes', { job: 'busy' })).toBeGreaterThan(10 * 1024 * 1024);

    await sleep(300);
    const later = await scrapeHost(h);
    expect(later.value('process_child_cpu_seconds_total', { job: 'busy' })).toBeGreaterThan(cpu);

    await kill(child);
    const gone = await scrapeHost(h);
    // Its label set had no other process: all three series leave the exposition, none is left at 0.
    for (const name of ['process_child_processes', 'process_child_resident_memory_bytes', 'process_child_cpu_seconds_total']) {
      expect(gone.family(name), name).toBeDefined();
      expect(gone.seriesCount(name), name).toBe(0);
      expect(gone.value(name, { job: 'busy' }), name).toBeUndefined();
    }
    expect(gone.text).not.toContain('job="busy"');
    expect(plugin.watchedPids()).not.toContain(child.pid);
    expect(messages.some((m) => m.includes(`pid ${child.pid} could not be read`))).toBe(true);
    expect(gone.value('metricore_plugin_errors_total', { plugin: '@metricore/plugin-process', hook: 'collect' })).toBeUndefined();
  });

  it('adds up processes under one label set, subtracts the ones that exit, and removes a label set whose last PID is unwatched', async () => {
    const plugin = processMetrics({ children: { labelNames: ['job', 'slot'] }, logger: debugLog().logger });
    const h = host({ plugins: [plugin] });
    const [a, b, c] = [start(IDLE), start(IDLE), start(IDLE)];
    await Promise.all([a, b, c].map((p) => once(p, 'spawn')));
    plugin.watchPid(a.pid!, { job: 'idle', slot: 1 });
    plugin.watchPid(b.pid!, { job: 'idle', slot: 1 });
    const unwatchC = plugin.watchPid(c.pid!, { job: 'idle', slot: 2 });

    const all = await scrapeHost(h);
    expect(all.value('process_child_processes', { job: 'idle', slot: '1' })).toBe(2);
    expect(all.value('process_child_processes', { job: 'idle', slot: '2' })).toBe(1);
    const two = all.value('process_child_resident_memory_bytes', { job: 'idle', slot: '1' })!;
    const one = all.value('process_child_resident_memory_bytes', { job: 'idle', slot: '2' })!;
    expect(two).toBeGreaterThan(one); // Two idle node processes use more than one.

    await kill(a);
    unwatchC();
    const rest = await scrapeHost(h);
    // slot 1 still has b: its series stay, with a's share gone.
    expect(rest.value('process_child_processes', { job: 'idle', slot: '1' })).toBe(1);
    expect(rest.value('process_child_resident_memory_bytes', { job: 'idle', slot: '1' })).toBeLessThan(two);
    expect(rest.value('process_child_cpu_seconds_total', { job: 'idle', slot: '1' })).toBeGreaterThanOrEqual(0);
    // slot 2's only PID was unwatched (c still runs): its series are gone.
    expect(c.exitCode).toBeNull();
    expect(rest.value('process_child_processes', { job: 'idle', slot: '2' })).toBeUndefined();
    expect(rest.value('process_child_resident_memory_bytes', { job: 'idle', slot: '2' })).toBeUndefined();
    expect(rest.value('process_child_cpu_seconds_total', { job: 'idle', slot: '2' })).toBeUndefined();
    for (const name of ['process_child_processes', 'process_child_resident_memory_bytes', 'process_child_cpu_seconds_total']) expect(rest.seriesCount(name), name).toBe(1);
    expect(plugin.watchedPids()).toEqual([b.pid]);
    expect(plugin.unwatchPid(b.pid!)).toBe(true);
    expect(plugin.unwatchPid(b.pid!)).toBe(false);
    const none = await scrapeHost(h);
    for (const name of ['process_child_processes', 'process_child_resident_memory_bytes', 'process_child_cpu_seconds_total']) expect(none.seriesCount(name), name).toBe(0);

    // Watched again, a label set comes back from zero: its CPU counter restarts, as after any counter reset.
    plugin.watchPid(c.pid!, { job: 'idle', slot: 2 });
    const again = await scrapeHost(h);
    expect(again.value('process_child_processes', { job: 'idle', slot: '2' })).toBe(1);
    expect(again.value('process_child_resident_memory_bytes', { job: 'idle', slot: '2' })).toBeGreaterThan(0);
    expect(again.value('process_child_cpu_seconds_total', { job: 'idle', slot: '2' })).toBeGreaterThanOrEqual(0);
    expect(again.seriesCount('process_child_processes')).toBe(1);
  });

  it('removes the series of a closed host\'s watched processes, and a re-watched PID moves to its new label set', async () => {
    const plugin = processMetrics({ children: { labelNames: ['job'] }, logger: debugLog().logger });
    const h = host({ plugins: [plugin] });
    const other = host({ registry: h.registry });
    const child = start(IDLE);
    await once(child, 'spawn');
    plugin.watchPid(child.pid!, { job: 'eval' });
    expect((await scrapeHost(h)).value('process_child_processes', { job: 'eval' })).toBe(1);
    plugin.watchPid(child.pid!, { job: 'build' });
    const moved = await scrapeHost(h);
    expect(moved.value('process_child_processes', { job: 'eval' })).toBeUndefined();
    expect(moved.value('process_child_processes', { job: 'build' })).toBe(1);

    await h.close();
    // Another host on the same registry still renders the families: the closed host's series are gone.
    const after = await scrapeHost(other);
    expect(after.family('process_child_processes')).toBeDefined();
    expect(after.seriesCount('process_child_processes')).toBe(0);
    expect(after.seriesCount('process_child_resident_memory_bytes')).toBe(0);
    expect(after.seriesCount('process_child_cpu_seconds_total')).toBe(0);
  });

  it('drops a PID that does not exist with a debug log and still answers the scrape', async () => {
    const { messages, logger } = debugLog();
    const plugin = processMetrics({ children: {}, logger });
    const h = host({ plugins: [plugin] });
    let pid = 4_194_000;
    while (existsSync(`/proc/${pid}`)) pid += 1;
    plugin.watchPid(pid);
    const { url } = await h.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const scrape = parseScrape(await res.text());
    // Never read, so never a series: an unreadable PID adds nothing to the exposition.
    expect(scrape.family('process_child_processes')).toBeDefined();
    expect(scrape.seriesCount('process_child_processes')).toBe(0);
    expect(scrape.seriesCount('metricore_plugin_errors_total')).toBe(0);
    expect(messages).toEqual([expect.stringContaining(`@metricore/plugin-process: pid ${pid} could not be read (exited?); no longer watched`)]);
    expect(plugin.watchedPids()).toEqual([]);
  });

  it('sends dropped PIDs to the host logger\'s debug when the plugin has no logger option', async () => {
    const { messages, logger } = debugLog();
    const plugin = processMetrics({ children: {} });
    const h = host({ logger: { warn() {}, ...logger }, plugins: [plugin] });
    const child = start(IDLE);
    await once(child, 'spawn');
    plugin.watchPid(child.pid!);
    expect((await scrapeHost(h)).value('process_child_processes')).toBe(1);
    await kill(child);
    const gone = await scrapeHost(h);
    expect(gone.seriesCount('process_child_processes')).toBe(0);
    expect(messages).toEqual([expect.stringContaining(`@metricore/plugin-process: pid ${child.pid} could not be read (exited?); no longer watched`)]);
  });
});
