import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { versionSatisfies } from '../src/version-range.js';

// semver itself is the reference: the simple forms are checked without it, and must agree with it.
const versions = ['0.0.0', '0.0.1', '0.0.2', '0.1.0', '0.1.1', '0.1.0-beta.1', '0.2.0', '0.2.0-0', '0.2.0-rc.1', '1.0.0', '1.0.0-alpha', '1.2.3', '1.2.4', '1.2.3-rc.1', '1.3.0', '1.3.0-0', '2.0.0', '2.0.0-0', '2.0.0-beta', '10.20.30', '1.2.3+build.5', '01.2.3', 'not-a-version', '1.2.3-01', '1.2.3-rc.01', '1.2.3-0a', '1.2.3-rc..1', '1.2.3-rc.', '1.2.3+001', '1.2.3+', '1.2.3+b..1', '1.2.3-rc-1.x-y'];
const bounds = ['0.0.1', '0.1.0', '0.1.1', '0.2.0', '1.0.0', '1.2.3', '2.0.0', '10.20.30', '01.2.3'];
const operators = ['', '=', '^', '~', '>=', '<', '<=', '>'];
const extra = ['*', ' ^1.2.3 ', '^1.2', '1.x', '>=1.0.0 <2.0.0', '^0.1.0 || ^1.0.0', '1.2.3 - 2.0.0', '^1.2.3-beta', 'v1.2.3', '', 'garbage', '^ 1.2.3'];

describe('versionSatisfies', () => {
  it('agrees with semver.satisfies(..., { includePrerelease: true }) on simple and other ranges', () => {
    const ranges = [...operators.flatMap((op) => bounds.map((b) => `${op}${b}`)), ...extra];
    let compared = 0;
    for (const version of versions) {
      for (const range of ranges) {
        expect(versionSatisfies(version, range), `${version} in "${range}"`).toBe(semver.satisfies(version, range, { includePrerelease: true }));
        compared++;
      }
    }
    expect(compared).toBe(versions.length * (operators.length * bounds.length + extra.length));
  });

  it('rejects a range that is not a string, as semver does', () => {
    expect(versionSatisfies('0.1.0', 42 as unknown as string)).toBe(false);
  });
});
