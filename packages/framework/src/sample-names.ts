/**
 * sample-names: the sample names each family renders, and the table that refuses a family whose
 * samples another family already renders (a counter `lat_seconds_count` beside a histogram
 * `lat_seconds` would give Prometheus two `lat_seconds_count` series of different families, and
 * promtool rejects the body).
 */
import { errors } from './errors.js';

/** SampleKind: the family types whose sample names are known (prom-client adds summary). */
export type SampleKind = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** familyKey: the name a family has in OpenMetrics (a counter without `_total`): two families with one key are one family. */
export function familyKey(kind: SampleKind, name: string): string {
  return kind === 'counter' && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
}

/**
 * sampleNames: every name a family's lines may carry in either format: a counter `x` or `x_total`
 * writes `x_total` (OpenMetrics), `x` (text, when so named) and may write `x_created`; a histogram `h`
 * writes `h_bucket`, `h_count`, `h_sum`, `h_created`; a summary `s` writes `s`, `s_count`, `s_sum`,
 * `s_created`; `_info` is the OpenMetrics info form of a family's name.
 */
export function sampleNames(kind: SampleKind, name: string): string[] {
  const key = familyKey(kind, name);
  switch (kind) {
    case 'counter':
      return [key, `${key}_total`, `${key}_created`];
    case 'histogram':
      return [key, `${key}_bucket`, `${key}_count`, `${key}_sum`, `${key}_created`];
    case 'summary':
      return [key, `${key}_count`, `${key}_sum`, `${key}_created`];
    default:
      return [key, `${key}_info`];
  }
}

/** SampleOwner: the family that renders a sample name. */
interface SampleOwner {
  readonly name: string;
  readonly key: string;
  readonly kind: SampleKind;
}

/**
 * SampleNameTable: sample names claimed per registry in this thread. `claim` refuses a family whose
 * samples another family renders (the same family again is fine).
 */
export class SampleNameTable {
  private readonly owners = new Map<string, SampleOwner>();

  /** ownerOf: the family rendering `sample`, if any. */
  ownerOf(sample: string): SampleOwner | undefined {
    return this.owners.get(sample);
  }

  /** clash: the first sample of the family that another family renders, with that family; undefined if none. */
  clash(kind: SampleKind, name: string): { sample: string; other: string } | undefined {
    const key = familyKey(kind, name);
    for (const sample of sampleNames(kind, name)) {
      const owner = this.owners.get(sample);
      // The same family again, or another type under the very same name (the core's FAMILY_CLASH says that better).
      if (owner === undefined || owner.name === name || (owner.key === key && owner.kind === kind)) continue;
      return { sample, other: owner.name };
    }
    return undefined;
  }

  /** check: throws METRICORE_SAMPLE_NAME_CLASH naming both families if `name` would render another's samples. */
  check(kind: SampleKind, name: string): void {
    const clash = this.clash(kind, name);
    if (clash !== undefined) throw errors.sampleNameClash(name, clash.sample, clash.other);
  }

  /** claim: records the family's sample names (after `check` passed and the family exists). */
  claim(kind: SampleKind, name: string): void {
    const owner = { name, key: familyKey(kind, name), kind };
    for (const sample of sampleNames(kind, name)) if (!this.owners.has(sample)) this.owners.set(sample, owner);
  }
}

const tables = new Map<string, SampleNameTable>();

/** sampleNameTable: the table of a registry in this thread (families are process-wide; the table sees this thread's definitions). */
export function sampleNameTable(registry: string): SampleNameTable {
  let table = tables.get(registry);
  if (table === undefined) tables.set(registry, (table = new SampleNameTable()));
  return table;
}

/** promClientKind: a prom-client metric's type as a SampleKind (its declared enum is a string at run time). */
export function promClientKind(type: unknown): SampleKind {
  const t = String(type);
  return t === 'counter' || t === 'gauge' || t === 'histogram' || t === 'summary' ? t : 'untyped';
}
