/**
 * errors: the one catalogue of metricore's error codes and messages. Every message names the
 * offending metric, label, option or value and says how to fix it; `docs/errors.md` mirrors it.
 */

/** ErrorCode: the stable `code` property of every error metricore throws. */
export const ErrorCode = {
  NATIVE_MISSING: 'METRICORE_NATIVE_MISSING',
  INVALID_METRIC_NAME: 'METRICORE_INVALID_METRIC_NAME',
  INVALID_LABEL_NAME: 'METRICORE_INVALID_LABEL_NAME',
  RESERVED_LABEL: 'METRICORE_RESERVED_LABEL',
  DUPLICATE_LABEL: 'METRICORE_DUPLICATE_LABEL',
  INVALID_BUCKETS: 'METRICORE_INVALID_BUCKETS',
  INVALID_UNIT: 'METRICORE_INVALID_UNIT',
  FAMILY_CLASH: 'METRICORE_FAMILY_CLASH',
  LABEL_COUNT: 'METRICORE_LABEL_COUNT',
  UNKNOWN_LABEL: 'METRICORE_UNKNOWN_LABEL',
  MISSING_LABEL: 'METRICORE_MISSING_LABEL',
  INVALID_LABEL_VALUE: 'METRICORE_INVALID_LABEL_VALUE',
  INVALID_OPTION: 'METRICORE_INVALID_OPTION',
  PLUGIN_INVALID: 'METRICORE_PLUGIN_INVALID',
  PLUGIN_DUPLICATE: 'METRICORE_PLUGIN_DUPLICATE',
  PLUGIN_VERSION: 'METRICORE_PLUGIN_VERSION',
  PLUGIN_DEPENDENCY: 'METRICORE_PLUGIN_DEPENDENCY',
  CONFIG_INVALID: 'METRICORE_CONFIG_INVALID',
  HOST_CLOSED: 'METRICORE_HOST_CLOSED',
  NATIVE_ERROR: 'METRICORE_NATIVE_ERROR',
  INVALID_DEFINITION: 'METRICORE_INVALID_DEFINITION',
  UNKNOWN_FAMILY: 'METRICORE_UNKNOWN_FAMILY',
  SERIES_TABLE_FULL: 'METRICORE_SERIES_TABLE_FULL',
  NATIVE_PANIC: 'METRICORE_NATIVE_PANIC',
  RESERVED_NAME: 'METRICORE_RESERVED_NAME',
  SAMPLE_NAME_CLASH: 'METRICORE_SAMPLE_NAME_CLASH',
  PLUGIN_NOT_APPLIED: 'METRICORE_PLUGIN_NOT_APPLIED',
  TAP_TIMEOUT: 'METRICORE_TAP_TIMEOUT',
} as const;

/** ErrorCodeValue: one of the `ErrorCode` strings. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** MetricoreTypeError: a TypeError with a stable `code`. */
export class MetricoreTypeError extends TypeError {
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string) {
    super(message);
    this.name = 'TypeError';
    this.code = code;
  }
}

/** MetricoreRangeError: a RangeError with a stable `code`. */
export class MetricoreRangeError extends RangeError {
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string) {
    super(message);
    this.name = 'RangeError';
    this.code = code;
  }
}

/** MetricoreError: an Error with a stable `code`, for failures that are not bad arguments. */
export class MetricoreError extends Error {
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** describe: a short, safe rendering of any value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export const errors = {
  nativeMissing: (cause: unknown, platform: string) =>
    new MetricoreError(
      ErrorCode.NATIVE_MISSING,
      'metricore: the native core (@metricore/core-native) is not built or failed to load. ' +
        `This machine is ${platform} (Node.js ${process.version}): its prebuilt binary is the package ` +
        `@metricore/core-native-${platform}, which npm installs as an optional dependency of @metricore/core-native; ` +
        'reinstall without --omit=optional (--no-optional), and with node_modules and the lockfile removed if they ' +
        'came from another OS or CPU. For a platform without a prebuilt binary (docs/installing.md lists them), ' +
        'build it from source with `npm install` (or `npm run build -w @metricore/core-native`), ' +
        'which needs Rust >= 1.88 (`rustup toolchain install stable`) and Node.js >= 20.17. ' +
        `Cause: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    ),
  invalidMetricName: (name: unknown) =>
    new MetricoreTypeError(
      ErrorCode.INVALID_METRIC_NAME,
      `metric name ${describe(name)} is not valid; use letters, digits, "_" and ":", not starting with a digit (e.g. "build_duration_seconds")`,
    ),
  invalidLabelName: (metric: string, label: unknown) =>
    new MetricoreTypeError(
      ErrorCode.INVALID_LABEL_NAME,
      `metric "${metric}" label name ${describe(label)} is not valid; use letters, digits and "_", not starting with a digit or "__"`,
    ),
  reservedLabel: (metric: string, label: string) =>
    new MetricoreTypeError(
      ErrorCode.RESERVED_LABEL,
      `metric "${metric}" label "${label}" is reserved for histogram buckets; choose another label name`,
    ),
  duplicateLabel: (metric: string, label: string) =>
    new MetricoreTypeError(ErrorCode.DUPLICATE_LABEL, `metric "${metric}" lists label "${label}" twice; list each label once`),
  invalidBuckets: (metric: string, detail: string) =>
    new MetricoreRangeError(ErrorCode.INVALID_BUCKETS, `metric "${metric}" buckets ${detail}`),
  invalidUnit: (metric: string, unit: unknown) =>
    new MetricoreTypeError(
      ErrorCode.INVALID_UNIT,
      `metric "${metric}" has unit ${describe(unit)} but its name does not end with "_${String(unit)}"; add the suffix to the name or drop the unit`,
    ),
  familyClash: (metric: string, detail: string) =>
    new MetricoreTypeError(ErrorCode.FAMILY_CLASH, detail.startsWith('metric') ? detail : `metric "${metric}": ${detail}`),
  labelCount: (metric: string, expected: readonly string[], got: number) =>
    new MetricoreRangeError(
      ErrorCode.LABEL_COUNT,
      `metric "${metric}" expects ${expected.length} label values (${expected.join(', ') || 'none'}), got ${got}`,
    ),
  unknownLabel: (metric: string, label: string, known: readonly string[]) =>
    new MetricoreTypeError(
      ErrorCode.UNKNOWN_LABEL,
      `metric "${metric}" has no label "${label}"; its labels are: ${known.join(', ') || '(none)'}`,
    ),
  missingLabel: (metric: string, label: string) =>
    new MetricoreTypeError(ErrorCode.MISSING_LABEL, `metric "${metric}" needs a value for label "${label}"`),
  invalidLabelValue: (metric: string, label: string, value: unknown) =>
    new MetricoreTypeError(
      ErrorCode.INVALID_LABEL_VALUE,
      `metric "${metric}" label "${label}" got ${describe(value)}; label values must be strings or numbers`,
    ),
  invalidOption: (where: string, detail: string) =>
    new MetricoreTypeError(ErrorCode.INVALID_OPTION, `${where}: ${detail}`),
  pluginInvalid: (detail: string) => new MetricoreTypeError(ErrorCode.PLUGIN_INVALID, detail),
  pluginDuplicate: (name: string) =>
    new MetricoreTypeError(ErrorCode.PLUGIN_DUPLICATE, `plugin "${name}" is registered twice; register each plugin once`),
  pluginVersion: (name: string, range: string, version: string) =>
    new MetricoreError(
      ErrorCode.PLUGIN_VERSION,
      `plugin "${name}" needs @metricore/framework ${range}, but this is ${version}; upgrade one of them`,
    ),
  pluginDependency: (name: string, missing: string) =>
    new MetricoreError(
      ErrorCode.PLUGIN_DEPENDENCY,
      `plugin "${name}" depends on plugin "${missing}", which is not registered before it; add "${missing}" earlier in the plugin list`,
    ),
  configInvalid: (file: string, detail: string) =>
    new MetricoreTypeError(ErrorCode.CONFIG_INVALID, `config file ${file}: ${detail}`),
  hostClosed: () => new MetricoreError(ErrorCode.HOST_CLOSED, 'the metrics host is closed; create a new MetricsHost'),
  reservedName: (metric: string) =>
    new MetricoreTypeError(
      ErrorCode.RESERVED_NAME,
      `metric name "${metric}" starts with "metricore_", which is reserved for metricore's own metrics; choose another prefix (e.g. your service's name)`,
    ),
  sampleNameClash: (metric: string, sample: string, other: string) =>
    new MetricoreTypeError(
      ErrorCode.SAMPLE_NAME_CLASH,
      `metric "${metric}" would render sample "${sample}", which metric "${other}" already renders; rename one of them`,
    ),
  tapTimeout: (plugin: string, hook: string, ms: number) =>
    new MetricoreError(ErrorCode.TAP_TIMEOUT, `plugin "${plugin}" ${hook} tap timed out after ${ms} ms`),
  applyTimeout: (plugin: string, ms: number) =>
    new MetricoreError(ErrorCode.TAP_TIMEOUT, `plugin "${plugin}" apply did not settle within ${ms} ms (applyTimeoutMs); the host went on without it`),
  collectTimeout: (ms: number) =>
    new MetricoreError(ErrorCode.TAP_TIMEOUT, `collect timed out after ${ms} ms (collectTimeoutMs); stop the work this signal guards`),
};

/**
 * nativeErrorTable: the one map from the `code` the native core sets on its errors (napi-rs custom
 * status, core-native/src/errors.rs; `native.nativeErrorCodes()` lists them) to the error metricore
 * throws. The core's message is kept as it is: it already names the metric and the value.
 */
export const nativeErrorTable = {
  METRICORE_INVALID_DEFINITION: (_metric: string, message: string) => new MetricoreTypeError(ErrorCode.INVALID_DEFINITION, message),
  METRICORE_FAMILY_CLASH: (metric: string, message: string) => errors.familyClash(metric, message),
  METRICORE_UNKNOWN_FAMILY: (_metric: string, message: string) => new MetricoreError(ErrorCode.UNKNOWN_FAMILY, message),
  METRICORE_LABEL_COUNT: (_metric: string, message: string) => new MetricoreRangeError(ErrorCode.LABEL_COUNT, message),
  METRICORE_SERIES_TABLE_FULL: (_metric: string, message: string) => new MetricoreRangeError(ErrorCode.SERIES_TABLE_FULL, message),
  METRICORE_NATIVE_PANIC: (_metric: string, message: string) => new MetricoreError(ErrorCode.NATIVE_PANIC, message),
} as const satisfies Record<string, (metric: string, message: string) => Error>;

/**
 * fromNativeError: the metricore error for an error the native core threw, looked up by its `code`
 * in `nativeErrorTable`; anything else (a napi-rs status) becomes `METRICORE_NATIVE_ERROR` naming the metric.
 */
export function fromNativeError(metric: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  if (typeof code === 'string' && Object.hasOwn(nativeErrorTable, code)) {
    return nativeErrorTable[code as keyof typeof nativeErrorTable](metric, message);
  }
  return new MetricoreError(ErrorCode.NATIVE_ERROR, `metric "${metric}": ${message}`, { cause: err });
}
