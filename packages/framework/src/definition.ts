/**
 * definition: the shape of a metric definition and its checks, run before the core sees it.
 */
import * as z from 'zod/mini';
import { errors } from './errors.js';
import { parseOptions } from './options.js';
import { DEFAULT_MAX_SERIES, parseDuration, parseLabelPolicy, parseMaxSeries, type Duration, type LabelPolicy } from './policy.js';

/** MetricKind: the three metric types metricore stores. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** MetricDefinition: what `host.counter/gauge/histogram` take (prom-client's shape). */
export interface MetricDefinition<L extends string = string> {
  /** Metric name, e.g. `build_duration_seconds` (Prometheus naming rules). */
  name: string;
  /** HELP text; any UTF-8. */
  help: string;
  /** Label names, in the order positional label values are given. Default none. */
  labelNames?: readonly L[];
  /** Histogram upper bounds, strictly increasing and finite (`+Inf` is implied). Default DEFAULT_BUCKETS. */
  buckets?: readonly number[];
  /** Unit (e.g. `seconds`, `bytes`); the name must end with `_<unit>` (before `_total`). */
  unit?: string;
  /** Label policy rules for this family, overriding the host's rule of the same label. */
  labelPolicy?: LabelPolicy;
  /** Series beyond this many fold into one `__overflow__` series. Default 10,000. */
  maxSeries?: number;
  /** Evict series not recorded into for this long (ms, or "15m"). Default: never. */
  ttl?: Duration;
}

/** FullDefinition: a definition as it flows through the `define` hook: type and defaults filled in. */
export interface FullDefinition {
  kind: MetricKind;
  name: string;
  help: string;
  labelNames: string[];
  buckets: number[];
  unit?: string;
  /** The family's own label rules (host rules apply to the other labels). */
  labelPolicy: LabelPolicy;
  maxSeries: number;
  /** Idle TTL in milliseconds, if any. */
  ttlMs?: number;
}

/** DEFAULT_BUCKETS: prom-client's default histogram bounds, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** isValidLabelName: Prometheus label-name rules, with the `__` prefix reserved. */
export function isValidLabelName(name: unknown): name is string {
  return typeof name === 'string' && LABEL_NAME.test(name) && !name.startsWith('__');
}

const definitionSchema = z.looseObject({
  name: z.string(),
  help: z.string().check(z.minLength(1)),
  labelNames: z.optional(z.array(z.string())),
  // Not z.number(): it rejects NaN and ±Infinity, which get the buckets error (RangeError) below.
  buckets: z.optional(z.array(z.custom<number>((v) => typeof v === 'number', 'expected a number'))),
  unit: z.optional(z.string().check(z.minLength(1))),
  labelPolicy: z.optional(z.unknown()),
  maxSeries: z.optional(z.unknown()),
  ttl: z.optional(z.unknown()),
  ttlMs: z.optional(z.unknown()),
});

/** normalizeDefinition: validates a user definition and fills defaults. Throws a coded TypeError/RangeError. */
export function normalizeDefinition(kind: MetricKind, input: MetricDefinition): FullDefinition {
  if (input === null || typeof input !== 'object') {
    throw errors.invalidOption(`${kind} definition`, `expected an object with name and help, got ${typeof input}`);
  }
  if (typeof input.name !== 'string' || !METRIC_NAME.test(input.name)) throw errors.invalidMetricName(input.name);
  const def = parseOptions(definitionSchema, input, `metric "${input.name}"`);
  const labelNames = [...(def.labelNames ?? [])];
  labelNames.forEach((label, i) => {
    if (!isValidLabelName(label)) throw errors.invalidLabelName(def.name, label);
    if (kind === 'histogram' && label === 'le') throw errors.reservedLabel(def.name, label);
    if (labelNames.indexOf(label) !== i) throw errors.duplicateLabel(def.name, label);
  });
  let buckets: number[] = [];
  if (kind === 'histogram') {
    buckets = [...(def.buckets ?? DEFAULT_BUCKETS)];
    if (buckets.length === 0) throw errors.invalidBuckets(def.name, 'are empty; give at least one upper bound');
    buckets.forEach((b, i) => {
      if (!Number.isFinite(b)) throw errors.invalidBuckets(def.name, `contain ${b}, which is not finite (+Inf is implied)`);
      if (i > 0 && b <= buckets[i - 1]) {
        throw errors.invalidBuckets(def.name, `must increase strictly, but ${buckets[i - 1]} is followed by ${b}`);
      }
    });
  } else if (def.buckets !== undefined && def.buckets.length > 0) {
    // An empty list is what a define tap hands back for a counter or gauge (FullDefinition).
    throw errors.invalidOption(`metric "${def.name}"`, `a ${kind} has no buckets; remove the buckets option`);
  }
  if (def.unit !== undefined) {
    const base = kind === 'counter' ? def.name.replace(/_total$/, '') : def.name;
    if (!base.endsWith(`_${def.unit}`)) throw errors.invalidUnit(def.name, def.unit);
  }
  const where = `metric "${def.name}"`;
  const labelPolicy = parseLabelPolicy(def.labelPolicy, where);
  const maxSeries = def.maxSeries === undefined ? DEFAULT_MAX_SERIES : parseMaxSeries(def.maxSeries, where);
  // A define tap hands back a FullDefinition, whose TTL is already in ms.
  const ttlMs =
    def.ttl !== undefined ? parseDuration(def.ttl, where, 'ttl') : def.ttlMs !== undefined ? parseDuration(def.ttlMs, where, 'ttlMs') : undefined;
  return { kind, name: def.name, help: def.help, labelNames, buckets, unit: def.unit, labelPolicy, maxSeries, ttlMs };
}
