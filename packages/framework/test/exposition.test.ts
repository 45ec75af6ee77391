/**
 * exposition: escaping, float formatting, OpenMetrics specifics and stable order, read back with
 * the test kit, and `promtool check metrics` on a rich text body.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseScrape, scrapeHost } from '@metricore/framework/testing';
import { closedAfterEach } from './helpers.js';

const host = closedAfterEach();

const lines = (text: string) => text.split('\n');

describe('escaping', () => {
  const nasty = 'back\\slash "quoted"\nnew line é 日本 🚀';

  it('label values escape backslash, quote and newline and keep UTF-8, in both formats', async () => {
    const h = host();
    h.counter({ name: 'esc_total', help: 'Escapes.', labelNames: ['v'] }).inc({ v: nasty }, 3);
    const expected = 'esc_total{v="back\\\\slash \\"quoted\\"\\nnew line é 日本 🚀"} 3';
    const text = await h.metrics();
    expect(lines(text)).toContain(expected);
    expect(lines(await h.metrics({ format: 'openmetrics' }))).toContain(expected);
    // The test kit (a Prometheus text parser) reads the original value back.
    expect(parseScrape(text).value('esc_total', { v: nasty })).toBe(3);
  });

  it('help escapes backslash and newline in text, and the double quote too in OpenMetrics', async () => {
    const h = host();
    h.gauge({ name: 'esc_help', help: nasty }).set(1);
    expect(lines(await h.metrics())).toContain('# HELP esc_help back\\\\slash "quoted"\\nnew line é 日本 🚀');
    expect(lines(await h.metrics({ format: 'openmetrics' }))).toContain('# HELP esc_help back\\\\slash \\"quoted\\"\\nnew line é 日本 🚀');
    expect((await scrapeHost(h)).family('esc_help')?.help).toBe(nasty);
  });
});

describe('float formatting', () => {
  it('integers without a fraction, shortest round-trip otherwise, Go-style exponents', async () => {
    const h = host();
    const g = h.gauge({ name: 'fmt', help: 'Formats.', labelNames: ['case'] });
    const cases: Array<[string, number, string]> = [
      ['zero', 0, '0'],
      ['negzero', -0, '-0'],
      ['int', 42, '42'],
      ['negint', -7, '-7'],
      ['bigint', 123456789012, '123456789012'],
      ['max_safe', 2 ** 53, '9007199254740992'],
      ['fraction', 0.1, '0.1'],
      ['third', 1 / 3, '0.3333333333333333'],
      ['tiny', 1e-300, '1e-300'],
      ['denormal', 5e-324, '5e-324'],
      ['huge', 1.5e21, '1.5e+21'],
      ['max', Number.MAX_VALUE, '1.7976931348623157e+308'],
      ['neg_fraction', -2.5e-7, '-2.5e-7'],
    ];
    for (const [c, v] of cases) g.set({ case: c }, v);
    const text = await h.metrics();
    const scrape = parseScrape(text);
    for (const [c, v, written] of cases) {
      expect(lines(text)).toContain(`fmt{case="${c}"} ${written}`);
      expect(scrape.value('fmt', { case: c })).toBe(v);
    }
  });

  it('le labels: bounds formatted once, +Inf last; counts are integers', async () => {
    const h = host();
    const hist = h.histogram({ name: 'le_fmt', help: 'Le.', buckets: [1e-9, 0.005, 1, 2.5, 1e21] });
    hist.observe(0.001);
    const text = await h.metrics();
    const les = [...text.matchAll(/^le_fmt_bucket\{le="([^"]+)"\} (\S+)$/gm)].map((m) => `${m[1]}=${m[2]}`);
    expect(les).toEqual(['1e-9=0', '0.005=1', '1=1', '2.5=1', '1e+21=1', '+Inf=1']);
    expect(lines(text)).toContain('le_fmt_sum 0.001');
    expect(lines(text)).toContain('le_fmt_count 1');
  });
});

describe('OpenMetrics', () => {
  it('writes # UNIT, strips _total from counter family names, suffixes samples with _total and ends with # EOF', async () => {
    const h = host();
    h.counter({ name: 'sent_bytes_total', help: 'Sent.', unit: 'bytes' }).inc(10);
    h.counter({ name: 'restarts', help: 'Restarts (no _total in the name).' }).inc();
    h.histogram({ name: 'wait_seconds', help: 'Wait.', buckets: [1], unit: 'seconds' }).observe(0.5);
    const om = await h.metrics({ format: 'openmetrics' });
    expect(om).toContain('# HELP sent_bytes Sent.\n# TYPE sent_bytes counter\n# UNIT sent_bytes bytes\nsent_bytes_total 10\n');
    expect(om).toContain('# TYPE restarts counter\nrestarts_total 1\n');
    expect(om).toContain(
      '# TYPE wait_seconds histogram\n# UNIT wait_seconds seconds\nwait_seconds_bucket{le="1"} 1\nwait_seconds_bucket{le="+Inf"} 1\nwait_seconds_sum 0.5\nwait_seconds_count 1\n',
    );
    expect(om.endsWith('\n# EOF\n')).toBe(true);
    expect(om.match(/# EOF/g)).toHaveLength(1);
    // Text 0.0.4 keeps the names as defined and has no UNIT or EOF.
    const text = await h.metrics();
    expect(text).toContain('# TYPE sent_bytes_total counter\nsent_bytes_total 10\n');
    expect(text).toContain('# TYPE restarts counter\nrestarts 1\n');
    expect(text).not.toContain('# UNIT');
    expect(text).not.toContain('# EOF');
  });
});

describe('order', () => {
  it('families are sorted by name, series keep creation order, and the body is stable across scrapes', async () => {
    const h = host();
    h.gauge({ name: 'zeta', help: 'Z.' }).set(1);
    const alpha = h.counter({ name: 'alpha_total', help: 'A.', labelNames: ['k'] });
    for (const k of ['c', 'a', 'b']) alpha.inc({ k });
    h.histogram({ name: 'mid_seconds', help: 'M.', buckets: [1] }).observe(1);
    await h.metrics(); // the first scrape creates the scrape-duration series
    const first = await h.metrics();
    const types = [...first.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    const own = types.slice(0, types.indexOf('metricore_series'));
    expect(own).toEqual([...own].sort());
    expect(own).toEqual(['alpha_total', 'metricore_plugin_errors_total', 'metricore_scrape_duration_seconds', 'mid_seconds', 'zeta']);
    // The core's self-metrics come last.
    const self = types.slice(types.indexOf('metricore_series'));
    expect(self).toContain('metricore_rejected_samples_total');
    for (const name of self) expect(name).toMatch(/^metricore_/);
    expect([...first.matchAll(/^alpha_total\{k="(\w)"\}/gm)].map((m) => m[1])).toEqual(['c', 'a', 'b']);
    const withoutScrapeDuration = (t: string) => t.replace(/^metricore_scrape_duration_seconds.*\n/gm, '');
    expect(withoutScrapeDuration(await h.metrics())).toBe(withoutScrapeDuration(first));
  });
});

function findPromtool(): string | undefined {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'promtool' : undefined;
}

describe('promtool', () => {
  const promtool = findPromtool();
  // CI installs Debian's prometheus package; there a missing promtool must fail, not skip.
  it.skipIf(promtool === undefined && !process.env.CI)('promtool check metrics reports nothing on a rich text body', async () => {
    expect(promtool, 'promtool is not installed (Debian package "prometheus"); CI must install it').toBeDefined();
    const h = host();
    const requests = h.counter({ name: 'http_requests_total', help: 'Requests "served"\\ by route\nand method.', labelNames: ['route', 'method', 'code'] });
    requests.inc({ route: '/a"b\\c\nd', method: 'GET', code: 200 }, 5);
    requests.inc({ route: '/é/日本', method: 'POST', code: '500' });
    h.counter({ name: 'sent_bytes_total', help: 'Bytes.', unit: 'bytes' }).inc(1.5e21);
    const g = h.gauge({ name: 'queue_depth', help: 'Depth.', labelNames: ['queue'] });
    g.set({ queue: 'q' }, -0.25);
    g.set({ queue: 'r' }, 1e-300);
    const hist = h.histogram({ name: 'build_duration_seconds', help: 'Builds.', labelNames: ['system'], buckets: [0.1, 1, 10], unit: 'seconds' });
    for (const v of [0.05, 0.5, 5, 50]) hist.observe({ system: 'x86_64-linux' }, v);
    hist.observe({ system: 'aarch64-linux' }, 2);
    h.histogram({ name: 'empty_seconds', help: 'Nothing observed.', unit: 'seconds' });
    requests.inc({ route: '/', method: 'GET', code: 200 }, NaN); // a rejected-samples series
    await h.metrics(); // so scrape duration has a series
    const body = await h.metrics();
    const r = spawnSync(promtool!, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
    // promtool does see problems: a counter without _total is linted.
    const bad = spawnSync(promtool!, ['check', 'metrics'], { input: '# HELP jobs J.\n# TYPE jobs counter\njobs 1\n', encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });
});
