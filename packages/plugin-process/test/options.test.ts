/**
 * options: validation errors that name the option, and what each option changes in the scrape.
 */
import { describe, expect, it } from 'vitest';
import { scrapeHost } from '@metricore/framework/testing';
import processMetrics, { PLUGIN_NAME } from '@metricore/plugin-process';
import { host } from './helpers.js';

function invalid(options: unknown): { code?: string; message: string; name: string } {
  try {
    processMetrics(options as never);
  } catch (error) {
    return error as { code?: string; message: string; name: string };
  }
  throw new Error('expected processMetrics() to throw');
}

describe('option validation', () => {
  it.each([
    [{ prefix: '1bad' }, 'option "prefix"'],
    [{ groups: ['cpu', 'disk'] }, 'option "groups.1"'],
    [{ gcDurationBuckets: [0.1, 0.01] }, 'option "gcDurationBuckets": must increase strictly'],
    [{ eventLoopBuckets: [] }, 'option "eventLoopBuckets"'],
    [{ eventLoopResolutionMs: 0 }, 'option "eventLoopResolutionMs"'],
    [{ collectIntervalMs: -1 }, 'option "collectIntervalMs"'],
    [{ children: { labelNames: ['job', 'job'] } }, 'option "children.labelNames": must not repeat a label name'],
    [{ children: { labelNames: ['__x'] } }, 'option "children.labelNames.0": must not start with "__" (reserved)'],
    [{ logger: {} }, 'option "logger": expected an object with a debug(message) method'],
    [{ colour: 'red' }, 'options'],
  ])('rejects %j with a coded TypeError naming %s', (options, where) => {
    const error = invalid(options);
    expect(error.name).toBe('TypeError');
    expect(error.code).toBe('METRICORE_INVALID_OPTION');
    expect(error.message).toContain(PLUGIN_NAME);
    expect(error.message).toContain(where);
  });

  it('rejects bad watchPid() calls with coded errors that say how to fix them', () => {
    expect(() => processMetrics().watchPid(process.pid)).toThrow(
      expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: expect.stringContaining('pass { children: { labelNames: [...] } } to processMetrics()') }),
    );
    const plugin = processMetrics({ children: { labelNames: ['job'] } });
    expect(() => plugin.watchPid(-3, { job: 'x' })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_OPTION', message: expect.stringContaining('pid must be a positive integer, got -3') }));
    expect(() => plugin.watchPid(process.pid, { job: 'x', slot: 1 })).toThrow(
      expect.objectContaining({ code: 'METRICORE_UNKNOWN_LABEL', message: expect.stringContaining('label "slot" is not in children.labelNames [job]') }),
    );
    expect(() => plugin.watchPid(process.pid, {})).toThrow(expect.objectContaining({ code: 'METRICORE_MISSING_LABEL', message: expect.stringContaining('label "job" is missing') }));
    expect(() => plugin.watchPid(process.pid, { job: Number.NaN })).toThrow(expect.objectContaining({ code: 'METRICORE_INVALID_LABEL_VALUE' }));
    expect(plugin.watchedPids()).toEqual([]);
  });
});

describe('options in the scrape', () => {
  it('puts the prefix before every name', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics({ prefix: 'api_', children: {} })] }));
    const names = scrape.families.map((f) => f.name).filter((n) => !n.startsWith('metricore_'));
    expect(names.length).toBeGreaterThan(20);
    expect(names.every((n) => n.startsWith('api_'))).toBe(true);
    expect(scrape.value('api_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('collects only the groups asked for', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics({ groups: ['fds', 'heap'] })] }));
    const names = scrape.families.map((f) => f.name).filter((n) => !n.startsWith('metricore_'));
    expect(names.sort()).toEqual([
      'nodejs_external_memory_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_space_size_available_bytes',
      'nodejs_heap_space_size_total_bytes',
      'nodejs_heap_space_size_used_bytes',
      'process_max_fds',
      'process_open_fds',
    ]);
  });

  it('uses the GC and event-loop buckets given', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics({ gcDurationBuckets: [0.5, 2], eventLoopBuckets: [0.02, 0.2] })] }));
    // Sorted: an object puts integer-like keys such as "2" first.
    expect(Object.keys(scrape.histogram('nodejs_gc_duration_seconds', { kind: 'major' })!.buckets).sort()).toEqual(['+Inf', '0.5', '2']);
    expect(Object.keys(scrape.histogram('nodejs_eventloop_delay_seconds')!.buckets).sort()).toEqual(['+Inf', '0.02', '0.2']);
  });

  it('adds the thread label with the name given, in the main thread too', async () => {
    const scrape = await scrapeHost(host({ plugins: [processMetrics({ threadLabel: true, threadName: 'api' })] }));
    expect(scrape.value('nodejs_heap_size_used_bytes', { thread: 'api' })).toBeGreaterThan(0);
    expect(scrape.histogram('nodejs_gc_duration_seconds', { kind: 'minor', thread: 'api' })).toBeDefined();
    expect(scrape.value('process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('refuses to serve two hosts from one instance', () => {
    const plugin = processMetrics({ groups: ['cpu'] });
    host({ plugins: [plugin] });
    const warnings: string[] = [];
    host({ plugins: [plugin], logger: { warn: (m: string, e?: unknown) => warnings.push(`${m}: ${(e as Error).message}`) } });
    expect(warnings).toEqual([expect.stringContaining('this processMetrics() instance is already applied to another host; make one per host')]);
  });
});
