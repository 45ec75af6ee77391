/**
 * policy: label policy configuration (allowlist, top-N, drop, length cap), per-family series cap
 * and idle TTL, validated here and enforced in the native core. docs/label-policy.md explains
 * how to choose.
 */
import { createRequire } from 'node:module';
import type ms from 'ms';
import * as z from 'zod/mini';
import { errors } from './errors.js';
import { parseOptions } from './options.js';

/** LabelRule: what happens to the values of one label, in every family that carries it. */
export interface LabelRule {
  /** allow: opt-in values; every other value folds into `__other__`. */
  allow?: readonly string[];
  /** topN: keep the N most active values (by samples, or by value with `weight: 'value'`); the rest fold into `__other__`. */
  topN?: number;
  /** drop: aggregate the label away (it disappears from the family's series). */
  drop?: boolean;
  /** maxLength: values longer than this many characters are cut to this length (counted as reason "length"). */
  maxLength?: number;
  /** hysteresis: how much more active a newcomer must be to replace an admitted top-N value. Default 0.25 (25%). */
  hysteresis?: number;
  /** weight: how top-N measures activity: "samples" (histograms' default) or "value", e.g. bytes (counters' default). */
  weight?: 'samples' | 'value';
  /** rerankIntervalMs: how often top-N is re-ranked. Default 10000. Activity decays with a half-life of 2 intervals (at least 1 s). */
  rerankIntervalMs?: number;
  /**
   * demotedTtl: how long the series of a value that lost its top-N place stays exposed (ms, or a
   * string like "5m"), so Prometheus scrapes its final value; then it leaves the exposition and its
   * memory is reused. Default 5 minutes. Its new samples go to `__other__` at once either way.
   */
  demotedTtl?: Duration;
}

/** LabelPolicy: rules keyed by label name. */
export type LabelPolicy = Record<string, LabelRule>;

/** Duration: milliseconds, or a string such as "90s", "15m", "1h". */
export type Duration = number | string;

/** DEFAULT_MAX_SERIES: series per family before new label sets fold into the overflow series. */
export const DEFAULT_MAX_SERIES = 10_000;

const ruleSchema = z.strictObject({
  allow: z.optional(z.array(z.string())),
  topN: z.optional(z.number().check(z.int(), z.positive())),
  drop: z.optional(z.boolean()),
  maxLength: z.optional(z.number().check(z.int(), z.positive())),
  hysteresis: z.optional(z.number().check(z.minimum(0), z.maximum(10))),
  weight: z.optional(z.enum(['samples', 'value'])),
  rerankIntervalMs: z.optional(z.number().check(z.int(), z.minimum(0))),
  demotedTtl: z.optional(z.union([z.number(), z.string()])),
});

/** parseLabelRule: validates one label's rule; errors name the label and the option. */
export function parseLabelRule(label: string, rule: unknown, where: string): LabelRule {
  const parsed = parseOptions(ruleSchema, rule, `${where} label "${label}"`);
  if (parsed.drop && (parsed.allow || parsed.topN || parsed.maxLength)) {
    throw errors.invalidOption(`${where} label "${label}"`, 'option "drop" removes the label, so it cannot be combined with allow, topN or maxLength');
  }
  if (parsed.demotedTtl !== undefined) {
    if (parsed.topN === undefined) {
      throw errors.invalidOption(`${where} label "${label}"`, 'option "demotedTtl" applies to values top-N demotes; set topN too');
    }
    parsed.demotedTtl = parseDuration(parsed.demotedTtl, `${where} label "${label}"`, 'demotedTtl');
  }
  return parsed;
}

/** parseLabelPolicy: validates a policy keyed by label name. */
export function parseLabelPolicy(policy: unknown, where: string): LabelPolicy {
  if (policy === undefined) return {};
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    throw errors.invalidOption(where, 'option "labelPolicy": expected an object keyed by label name');
  }
  const out: LabelPolicy = {};
  for (const [label, rule] of Object.entries(policy)) out[label] = parseLabelRule(label, rule, where);
  return out;
}

// `ms` is loaded with the first string duration, not at import: most hosts never give one (issue #17's startup heap).
let parseMs: typeof ms | undefined;

/** parseDuration: milliseconds from a number or an `ms`-style string ("15m"); errors name the option. */
export function parseDuration(value: unknown, where: string, option: string): number {
  if (typeof value === 'string') parseMs ??= createRequire(import.meta.url)('ms') as typeof ms;
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? parseMs?.(value as ms.StringValue) : undefined;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    throw errors.invalidOption(where, `option "${option}": expected a positive duration in ms or a string like "15m", got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** parseMaxSeries: a positive integer series cap. */
export function parseMaxSeries(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw errors.invalidOption(where, `option "maxSeries": expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** NativeLimits: a family's policy as the core takes it. */
export interface NativeLimits {
  labelRules?: Array<{ allow?: string[]; topN?: number; drop?: boolean; maxLength?: number; hysteresis?: number; weight?: string; demotedTtlMs?: number }>;
  maxSeries: number;
  ttlMs?: number;
  rerankIntervalMs?: number;
}

/** resolveLimits: the host policy overridden per label by the family's, aligned with the family's labels. */
export function resolveLimits(
  metric: string,
  kind: string,
  labelNames: readonly string[],
  hostPolicy: LabelPolicy,
  familyPolicy: LabelPolicy,
  maxSeries: number,
  ttlMs: number | undefined,
): NativeLimits {
  for (const label of Object.keys(familyPolicy)) {
    if (!labelNames.includes(label)) throw errors.unknownLabel(metric, label, labelNames);
  }
  const rules = labelNames.map((label) => familyPolicy[label] ?? hostPolicy[label] ?? {});
  rules.forEach((rule, i) => {
    if (rule.topN !== undefined && kind === 'gauge') {
      throw errors.invalidOption(`metric "${metric}" label "${labelNames[i]}"`, 'option "topN" ranks recorded activity, which a gauge does not have; use allow or maxLength');
    }
  });
  const used = rules.some((r) => Object.keys(r).length > 0);
  const intervals = rules.map((r) => r.rerankIntervalMs).filter((v): v is number => v !== undefined);
  return {
    labelRules: used
      ? rules.map((r) => ({
          allow: r.allow ? [...r.allow] : undefined,
          topN: r.topN,
          drop: r.drop,
          maxLength: r.maxLength,
          hysteresis: r.hysteresis,
          weight: r.weight,
          // parseLabelRule turned a duration string into ms.
          demotedTtlMs: r.demotedTtl as number | undefined,
        }))
      : undefined,
    maxSeries,
    ttlMs,
    rerankIntervalMs: intervals.length > 0 ? Math.min(...intervals) : undefined,
  };
}
