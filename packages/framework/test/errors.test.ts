/**
 * errors: every definition-time mistake throws a TypeError or RangeError with a stable code and a
 * message naming the metric and the value; hot-path garbage never throws and is counted.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, MetricsHost, exponentialBuckets, linearBuckets } from '@metricore/framework';
import { scrapeHost } from '@metricore/framework/testing';
import { closedAfterEach, expectError } from './helpers.js';

const host = closedAfterEach();


const NAME_HINT = 'use letters, digits, "_" and ":", not starting with a digit (e.g. "build_duration_seconds")';
const LABEL_HINT = 'use letters, digits and "_", not starting with a digit or "__"';

describe('definition errors', () => {
  it('the metricore_ prefix is reserved', () => {
    expectError(
      () => host().gauge({ name: 'metricore_series', help: 'x' }),
      TypeError,
      ErrorCode.RESERVED_NAME,
      'metric name "metricore_series" starts with "metricore_", which is reserved for metricore\'s own metrics; choose another prefix (e.g. your service\'s name)',
    );
  });

  it('families whose sample names collide are refused, naming both', () => {
    const h = host();
    h.histogram({ name: 'lat_seconds', help: 'x', buckets: [1] });
    expectError(
      () => h.counter({ name: 'lat_seconds_count', help: 'x' }),
      TypeError,
      ErrorCode.SAMPLE_NAME_CLASH,
      'metric "lat_seconds_count" would render sample "lat_seconds_count", which metric "lat_seconds" already renders; rename one of them',
    );
    h.counter({ name: 'jobs_total', help: 'x' });
    expectError(
      () => h.gauge({ name: 'jobs', help: 'x' }),
      TypeError,
      ErrorCode.SAMPLE_NAME_CLASH,
      'metric "jobs" would render sample "jobs", which metric "jobs_total" already renders; rename one of them',
    );
    h.gauge({ name: 'queue_bucket', help: 'x' });
    expectError(
      () => h.histogram({ name: 'queue', help: 'x', buckets: [1] }),
      TypeError,
      ErrorCode.SAMPLE_NAME_CLASH,
      'metric "queue" would render sample "queue_bucket", which metric "queue_bucket" already renders; rename one of them',
    );
  });

  it('invalid metric names', () => {
    const h = host();
    for (const name of ['1abc', 'a-b', '', 'sp ace', 'é']) {
      expectError(() => h.counter({ name, help: 'x' }), TypeError, ErrorCode.INVALID_METRIC_NAME, `metric name ${JSON.stringify(name)} is not valid; ${NAME_HINT}`);
    }
    expectError(() => h.gauge({ name: 42 as never, help: 'x' }), TypeError, 'METRICORE_INVALID_METRIC_NAME', `metric name 42 is not valid; ${NAME_HINT}`);
    // Colons are allowed in metric names (recording-rule style).
    expect(h.gauge({ name: 'job:up:sum', help: 'x' }).name).toBe('job:up:sum');
  });

  it('invalid label names, including the reserved "__" prefix', () => {
    const h = host();
    for (const label of ['a-b', '1a', '__x', '', 'a:b']) {
      expectError(
        () => h.counter({ name: 'bad_label_total', help: 'x', labelNames: [label] }),
        TypeError,
        'METRICORE_INVALID_LABEL_NAME',
        `metric "bad_label_total" label name ${JSON.stringify(label)} is not valid; ${LABEL_HINT}`,
      );
    }
  });

  it('"le" is reserved on histograms only', () => {
    const h = host();
    expectError(
      () => h.histogram({ name: 'latency_seconds', help: 'x', labelNames: ['route', 'le'] }),
      TypeError,
      'METRICORE_RESERVED_LABEL',
      'metric "latency_seconds" label "le" is reserved for histogram buckets; choose another label name',
    );
    expect(h.gauge({ name: 'le_gauge', help: 'x', labelNames: ['le'] }).labelNames).toEqual(['le']);
  });

  it('duplicate label names', () => {
    expectError(
      () => host().counter({ name: 'dup_total', help: 'x', labelNames: ['a', 'b', 'a'] }),
      TypeError,
      'METRICORE_DUPLICATE_LABEL',
      'metric "dup_total" lists label "a" twice; list each label once',
    );
  });

  it('empty, unsorted, repeated and non-finite buckets', () => {
    const h = host();
    const def = (buckets: number[]) => () => h.histogram({ name: 'b_seconds', help: 'x', buckets });
    expectError(def([]), RangeError, 'METRICORE_INVALID_BUCKETS', 'metric "b_seconds" buckets are empty; give at least one upper bound');
    expectError(def([2, 1]), RangeError, 'METRICORE_INVALID_BUCKETS', 'metric "b_seconds" buckets must increase strictly, but 2 is followed by 1');
    expectError(def([1, 1]), RangeError, 'METRICORE_INVALID_BUCKETS', 'metric "b_seconds" buckets must increase strictly, but 1 is followed by 1');
    expectError(def([1, Infinity]), RangeError, 'METRICORE_INVALID_BUCKETS', 'metric "b_seconds" buckets contain Infinity, which is not finite (+Inf is implied)');
    expectError(def([-Infinity, 1]), RangeError, 'METRICORE_INVALID_BUCKETS', 'metric "b_seconds" buckets contain -Infinity, which is not finite (+Inf is implied)');
    expectError(def([NaN]), RangeError, 'METRICORE_INVALID_BUCKETS', 'metric "b_seconds" buckets contain NaN, which is not finite (+Inf is implied)');
    expectError(
      () => h.histogram({ name: 'b_seconds', help: 'x', buckets: ['1' as never] }),
      TypeError,
      'METRICORE_INVALID_OPTION',
      'metric "b_seconds": option "buckets.0": expected a number',
    );
    expectError(
      () => h.gauge({ name: 'g_buckets', help: 'x', buckets: [1] }),
      TypeError,
      'METRICORE_INVALID_OPTION',
      'metric "g_buckets": a gauge has no buckets; remove the buckets option',
    );
  });

  it('bucket helpers reject bad arguments', () => {
    expectError(() => exponentialBuckets(0, 2, 3), RangeError, 'METRICORE_INVALID_BUCKETS', 'exponential buckets need a finite start > 0, got 0');
    expectError(() => exponentialBuckets(1, 1, 3), RangeError, 'METRICORE_INVALID_BUCKETS', 'exponential buckets need a finite factor > 1, got 1');
    expectError(() => exponentialBuckets(1, 2, 0), RangeError, 'METRICORE_INVALID_BUCKETS', 'exponential buckets need a count >= 1, got 0');
    expectError(() => linearBuckets(0, 0, 3), RangeError, 'METRICORE_INVALID_BUCKETS', 'linear buckets need a finite width > 0, got 0');
    expectError(() => linearBuckets(NaN, 1, 3), RangeError, 'METRICORE_INVALID_BUCKETS', 'linear buckets need a finite start, got NaN');
  });

  it('a unit requires the _<unit> suffix', () => {
    const h = host();
    expectError(
      () => h.gauge({ name: 'payload_bytes', help: 'x', unit: 'seconds' }),
      TypeError,
      'METRICORE_INVALID_UNIT',
      'metric "payload_bytes" has unit "seconds" but its name does not end with "_seconds"; add the suffix to the name or drop the unit',
    );
    // For counters the suffix sits before _total.
    expectError(
      () => h.counter({ name: 'sent_total', help: 'x', unit: 'bytes' }),
      TypeError,
      'METRICORE_INVALID_UNIT',
      'metric "sent_total" has unit "bytes" but its name does not end with "_bytes"; add the suffix to the name or drop the unit',
    );
  });

  it('missing help and malformed definitions', () => {
    const h = host();
    expectError(() => h.counter({ name: 'nohelp_total', help: '' }), TypeError, 'METRICORE_INVALID_OPTION', 'metric "nohelp_total": option "help": Too small: expected string to have >=1 characters');
    expectError(
      () => h.counter({ name: 'x_total', help: 'x', labelNames: 'a' as never }),
      TypeError,
      'METRICORE_INVALID_OPTION',
      'metric "x_total": option "labelNames": Invalid input: expected array, received string',
    );
    expectError(() => h.counter(undefined as never), TypeError, 'METRICORE_INVALID_OPTION', 'counter definition: expected an object with name and help, got undefined');
  });

  it('clashing redefinitions: other type, labels or buckets', () => {
    const h = host();
    h.counter({ name: 'clash_total', help: 'x', labelNames: ['a'] });
    h.histogram({ name: 'clash_seconds', help: 'x', buckets: [1, 2] });
    const tail = 'use the same definition or another name';
    expectError(() => h.gauge({ name: 'clash_total', help: 'x', labelNames: ['a'] }), TypeError, 'METRICORE_FAMILY_CLASH', `metric "clash_total" is already defined with type counter, not gauge; ${tail}`);
    expectError(() => h.counter({ name: 'clash_total', help: 'x', labelNames: ['b'] }), TypeError, 'METRICORE_FAMILY_CLASH', `metric "clash_total" is already defined with labels [a], not [b]; ${tail}`);
    expectError(() => h.counter({ name: 'clash_total', help: 'x' }), TypeError, 'METRICORE_FAMILY_CLASH', `metric "clash_total" is already defined with labels [a], not []; ${tail}`);
    expectError(() => h.histogram({ name: 'clash_seconds', help: 'x', buckets: [1, 3] }), TypeError, 'METRICORE_FAMILY_CLASH', `metric "clash_seconds" is already defined with other buckets; ${tail}`);
    // Another host on the same registry (another thread does the same) clashes too.
    const other = host({ registry: h.registry });
    expectError(() => other.histogram({ name: 'clash_total', help: 'x' }), TypeError, 'METRICORE_FAMILY_CLASH', `metric "clash_total" is already defined with type counter, not histogram; ${tail}`);
  });
});

describe('label errors on labels()', () => {
  function counter() {
    return host().counter({ name: 'lbl_total', help: 'x', labelNames: ['org', 'kind'] });
  }

  it('wrong number of positional values', () => {
    const c = counter();
    expectError(() => c.labels('a'), RangeError, 'METRICORE_LABEL_COUNT', 'metric "lbl_total" expects 2 label values (org, kind), got 1');
    expectError(() => c.labels('a', 'b', 'c'), RangeError, 'METRICORE_LABEL_COUNT', 'metric "lbl_total" expects 2 label values (org, kind), got 3');
    expectError(() => c.labels(), RangeError, 'METRICORE_LABEL_COUNT', 'metric "lbl_total" expects 2 label values (org, kind), got 0');
  });

  it('unknown and missing label names', () => {
    const c = counter();
    expectError(() => c.labels({ org: 'a', kind: 'b', zone: 'c' } as never), TypeError, 'METRICORE_UNKNOWN_LABEL', 'metric "lbl_total" has no label "zone"; its labels are: org, kind');
    expectError(() => c.labels({ org: 'a' } as never), TypeError, 'METRICORE_MISSING_LABEL', 'metric "lbl_total" needs a value for label "kind"');
  });

  it('invalid label values: object, undefined, null, NaN, boolean', () => {
    const c = counter();
    const msg = (got: string) => `metric "lbl_total" label "kind" got ${got}; label values must be strings or numbers`;
    expectError(() => c.labels({ org: 'a', kind: {} as never }), TypeError, 'METRICORE_INVALID_LABEL_VALUE', msg('an object'));
    expectError(() => c.labels({ org: 'a', kind: undefined } as never), TypeError, 'METRICORE_INVALID_LABEL_VALUE', msg('undefined'));
    expectError(() => c.labels({ org: 'a', kind: null as never }), TypeError, 'METRICORE_INVALID_LABEL_VALUE', msg('null'));
    expectError(() => c.labels({ org: 'a', kind: NaN }), TypeError, 'METRICORE_INVALID_LABEL_VALUE', msg('NaN'));
    expectError(() => c.labels('a', true as never), TypeError, 'METRICORE_INVALID_LABEL_VALUE', msg('true'));
  });
});

describe('host and endpoint options', () => {
  const cases: Array<[unknown, string]> = [
    [{ bogus: 1 }, 'MetricsHost: options: Unrecognized key: "bogus"'],
    [{ registry: '' }, 'MetricsHost: option "registry": Too small: expected string to have >=1 characters'],
    [{ flushIntervalMs: 0 }, 'MetricsHost: option "flushIntervalMs": Too small: expected number to be >=1'],
    [{ collectTimeoutMs: 'x' }, 'MetricsHost: option "collectTimeoutMs": Invalid input: expected number, received string'],
    [{ logger: {} }, 'MetricsHost: option "logger": expected an object with a warn(message) method'],
    [{ endpoint: { path: 'metrics' } }, 'MetricsHost: option "endpoint.path": Invalid string: must start with "/"'],
    [{ endpoint: { token: '' } }, 'MetricsHost: option "endpoint.token": Too small: expected string to have >=1 characters'],
    [{ endpoint: { maxConcurrentScrapes: 0 } }, 'MetricsHost: option "endpoint.maxConcurrentScrapes": Too small: expected number to be >=1'],
    [{ endpoint: { renderTimeoutMs: 1.5 } }, 'MetricsHost: option "endpoint.renderTimeoutMs": Invalid input: expected int, received number'],
    [{ endpoint: { nope: 1 } }, 'MetricsHost: option "endpoint": Unrecognized key: "nope"'],
  ];
  it.each(cases)('%j', (options, message) => {
    expectError(() => new MetricsHost(options as never), TypeError, 'METRICORE_INVALID_OPTION', message);
  });
});

describe('hot path', () => {
  it('NaN, ±Infinity and negative counter increments never throw, are counted by reason, and never poison a sum', async () => {
    const h = host();
    const c = h.counter({ name: 'hot_total', help: 'x', labelNames: ['a'] });
    const g = h.gauge({ name: 'hot_gauge', help: 'x' });
    const hist = h.histogram({ name: 'hot_seconds', help: 'x', buckets: [1], labelNames: ['a'] });
    expect(() => {
      c.inc({ a: 'x' }, 2);
      c.inc({ a: 'x' }, NaN);
      c.inc({ a: 'x' }, -1);
      c.labels('x').inc(-0.5);
      c.labels('x').inc(Infinity);
      c.inc(NaN); // unlabelled call on a labelled counter: bad labels, counted
      g.set(5);
      g.set(NaN);
      g.inc(-Infinity);
      g.dec(-2); // a gauge may go either way
      hist.observe({ a: 'x' }, 0.5);
      hist.observe({ a: 'x' }, NaN);
      hist.observe({ a: 'x' }, Infinity);
      hist.labels('x').observe(-Infinity);
      hist.observe({ a: 'x' }, -3); // negative observations are legal in a histogram
    }).not.toThrow();
    const scrape = await scrapeHost(h);
    expect(scrape.value('hot_total', { a: 'x' })).toBe(2);
    expect(scrape.value('hot_gauge')).toBe(7);
    expect(scrape.histogram('hot_seconds', { a: 'x' })).toEqual({ count: 2, sum: -2.5, buckets: { '1': 2, '+Inf': 2 } });
    const rejected = (metric: string, reason: string) => scrape.value('metricore_rejected_samples_total', { metric, reason });
    expect(rejected('hot_total', 'nan')).toBe(1);
    expect(rejected('hot_total', 'negative')).toBe(2);
    expect(rejected('hot_total', 'infinite')).toBe(1);
    expect(rejected('hot_total', 'invalid_labels')).toBe(1);
    expect(rejected('hot_gauge', 'nan')).toBe(1);
    expect(rejected('hot_gauge', 'infinite')).toBe(1);
    expect(rejected('hot_seconds', 'nan')).toBe(1);
    expect(rejected('hot_seconds', 'infinite')).toBe(2);
  });

  it('bad labels on observe(labels, v), inc(labels) and set(labels, v) never throw and are counted', async () => {
    const h = host();
    const hist = h.histogram({ name: 'badlbl_seconds', help: 'x', buckets: [1], labelNames: ['route'] });
    const c = h.counter({ name: 'badlbl_total', help: 'x', labelNames: ['route'] });
    const g = h.gauge({ name: 'badlbl_gauge', help: 'x', labelNames: ['route'] });
    expect(() => {
      hist.observe({ nope: 'x' } as never, 1);
      hist.observe({} as never, 1);
      hist.observe({ route: {} } as never, 1);
      hist.observe({ route: undefined } as never, 1);
      hist.observe({ route: null } as never, 1);
      hist.observe({ route: '/ok' }, 1);
      c.inc({ route: '/a', extra: 'x' } as never);
      g.set({ route: null } as never, 1);
      hist.startTimer({ nope: 'x' } as never)();
    }).not.toThrow();
    const scrape = await scrapeHost(h);
    expect(scrape.histogram('badlbl_seconds', { route: '/ok' })?.count).toBe(1);
    expect(scrape.seriesCount('badlbl_seconds')).toBe(1);
    expect(scrape.seriesCount('badlbl_total')).toBe(0);
    expect(scrape.value('metricore_rejected_samples_total', { metric: 'badlbl_seconds', reason: 'invalid_labels' })).toBe(6);
    expect(scrape.value('metricore_rejected_samples_total', { metric: 'badlbl_total', reason: 'invalid_labels' })).toBe(1);
    expect(scrape.value('metricore_rejected_samples_total', { metric: 'badlbl_gauge', reason: 'invalid_labels' })).toBe(1);
  });
  it('an unknown label key is refused after the label set was cached, on binding and on recording', async () => {
    const h = host();
    const c = h.counter({ name: 'cached_keys_total', help: 'x', labelNames: ['org'] });
    const hist = h.histogram({ name: 'cached_keys_seconds', help: 'x', labelNames: ['org'], buckets: [1] });
    c.labels({ org: 'acme' }).inc();
    c.inc({ org: 'acme' });
    hist.observe({ org: 'acme' }, 0.5);
    expectError(
      () => c.labels({ org: 'acme', tenant: 't1' } as never),
      TypeError,
      ErrorCode.UNKNOWN_LABEL,
      'metric "cached_keys_total" has no label "tenant"; its labels are: org',
    );
    expect(() => c.inc({ org: 'acme', tenant: 't1' } as never, 5)).not.toThrow();
    hist.observe({ org: 'acme', tenant: 't1' } as never, 0.5);
    const scrape = await scrapeHost(h);
    expect(scrape.value('cached_keys_total', { org: 'acme' })).toBe(2);
    expect(scrape.histogram('cached_keys_seconds', { org: 'acme' })?.count).toBe(1);
    expect(scrape.value('metricore_rejected_samples_total', { metric: 'cached_keys_total', reason: 'invalid_labels' })).toBe(1);
    expect(scrape.value('metricore_rejected_samples_total', { metric: 'cached_keys_seconds', reason: 'invalid_labels' })).toBe(1);
  });
});
