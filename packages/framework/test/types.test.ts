/**
 * types: the public types hold. These checks run in `tsc --noEmit -p tsconfig.test.json` (the
 * root `typecheck` step of `npm test`); at run time they only need to not throw.
 */
import promClient from 'prom-client';
import { describe, expectTypeOf, it } from 'vitest';
import type { Counter, CounterChild, Histogram, MetricsHost, Plugin } from '@metricore/framework';
import { closedAfterEach } from './helpers.js';

const host = closedAfterEach();

describe('types', () => {
  it('label names are inferred from labelNames, and a label object must name each one', () => {
    const h = host();
    const requests = h.counter({ name: 'typed_requests_total', help: 'x', labelNames: ['route', 'method'] });
    expectTypeOf(requests).toEqualTypeOf<Counter<'route' | 'method'>>();
    requests.inc({ route: '/a', method: 'GET' });
    requests.inc({ route: '/a', method: 200 }, 2);
    // Only type-checked (the calls would be counted or throw at run time).
    const typeErrors = () => {
      // @ts-expect-error a missing label is a type error
      requests.inc({ route: '/a' });
      // @ts-expect-error an unknown label is a type error
      requests.inc({ route: '/a', method: 'GET', tenant: 't' });
      // @ts-expect-error so is a misspelt one on binding
      requests.labels({ route: '/a', methd: 'GET' });
    };
    expectTypeOf(typeErrors).toBeFunction();
    const latency = h.histogram({ name: 'typed_latency_seconds', help: 'x', labelNames: ['route'], buckets: [1] });
    expectTypeOf(latency).toEqualTypeOf<Histogram<'route'>>();
    // A timer may get some labels at the start and the rest at the end.
    latency.startTimer()({ route: '/a' });
  });

  it('positional labels take strings or numbers and give the bound child', () => {
    const h = host();
    const requests = h.counter({ name: 'typed_positional_total', help: 'x', labelNames: ['route', 'status'] });
    expectTypeOf(requests.labels('/a', 200)).toEqualTypeOf<CounterChild>();
    const typeErrors = () => {
      // @ts-expect-error a positional value is a string or a number
      requests.labels('/a', true);
    };
    expectTypeOf(typeErrors).toBeFunction();
  });

  it("attachPromClient takes prom-client's own Registry", () => {
    const h = host();
    const registry = new promClient.Registry();
    expectTypeOf(h.attachPromClient(registry)).toEqualTypeOf<MetricsHost>();
  });

  it('a plugin may apply asynchronously; getPlugin gives the applied plugin back, typed', () => {
    const later: Plugin = { name: 'later', async apply() {} };
    expectTypeOf(later.apply).returns.toEqualTypeOf<void | Promise<void>>();
    const h = host({ plugins: [later] });
    expectTypeOf(h.getPlugin<Plugin & { extra: number }>('later')).toEqualTypeOf<(Plugin & { extra: number }) | undefined>();
  });
});
