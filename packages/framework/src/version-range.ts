/**
 * version-range: whether the framework's version lies in a plugin's `framework` semver range.
 * The forms plugins write (`^1.2.3`, `~1.2.3`, `>=1.2.3`, `1.2.3`, `*`) are checked here; any
 * other range loads the `semver` package on first use and asks it. Loading `semver` at import
 * retained about 0.3 MiB of heap (measured alone with --expose-gc after full collections, load
 * average 10; issue #17) for a check every host runs once per plugin.
 */
import { createRequire } from 'node:module';

type Triple = readonly [number, number, number];

// Numeric identifiers as semver writes them: no leading zeros, within Number.MAX_SAFE_INTEGER (15 digits is safe).
const NUM = '(0|[1-9]\\d{0,14})';
const SIMPLE_RANGE = new RegExp(`^(\\^|~|>=|=)?${NUM}\\.${NUM}\\.${NUM}$`);
// A prerelease identifier is numeric without leading zeros or holds a non-digit; none is empty (nor a build's).
const PRE = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const BUILD = '[0-9A-Za-z-]+';
const VERSION = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}(-${PRE}(?:\\.${PRE})*)?(\\+${BUILD}(?:\\.${BUILD})*)?$`);

function compare(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * The simple forms with `includePrerelease` semantics, as semver 7 desugars them: `^0.2.3` is
 * `>=0.2.3-0 <0.3.0-0` (a prerelease of the bound is in, one of the next version out) but `^1.2.3`
 * is `>=1.2.3 <2.0.0-0`, `~1.2.3` is `>=1.2.3 <1.3.0-0`; `>=1.2.3` and `1.2.3` keep prereleases of
 * the bound out. test/version-range.test.ts compares every form with semver itself.
 */
function simpleSatisfies(version: Triple, prerelease: boolean, operator: string, bound: Triple): boolean {
  const toBound = compare(version, bound);
  if (operator === '' || operator === '=') return toBound === 0 && !prerelease;
  const atLeast = toBound > 0 || (toBound === 0 && (!prerelease || (operator === '^' && bound[0] === 0)));
  if (operator === '>=') return atLeast;
  const [major, minor, patch] = bound;
  const upper: Triple =
    operator === '~' ? [major, minor + 1, 0] : major > 0 ? [major + 1, 0, 0] : minor > 0 ? [0, minor + 1, 0] : [0, 0, patch + 1];
  return atLeast && compare(version, upper) < 0;
}

let semver: typeof import('semver') | undefined;

/** versionSatisfies: `semver.satisfies(version, range, { includePrerelease: true })`, without loading semver for the simple forms. */
export function versionSatisfies(version: string, range: string): boolean {
  const v = VERSION.exec(version);
  const trimmed = typeof range === 'string' ? range.trim() : undefined;
  const r = trimmed === undefined ? null : SIMPLE_RANGE.exec(trimmed);
  if (v !== null && (r !== null || trimmed === '*')) {
    if (r === null) return true;
    return simpleSatisfies([Number(v[1]), Number(v[2]), Number(v[3])], v[4] !== undefined, r[1] ?? '', [Number(r[2]), Number(r[3]), Number(r[4])]);
  }
  semver ??= createRequire(import.meta.url)('semver') as typeof import('semver');
  return semver.satisfies(version, range, { includePrerelease: true });
}
