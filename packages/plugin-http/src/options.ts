/**
 * options: the plugin's options, validated with zod through the framework's `parseOptions`, so a
 * bad option throws `METRICORE_INVALID_OPTION` naming the option and the value. The schema is
 * built with the framework's `z` (the zod/mini builders it bundles) rather than a second bundled
 * copy of zod, which retained about 0.15 MiB of heap at import (issue #17).
 */
import { z } from '@metricore/framework';
import type * as zod from 'zod/mini';

/** SEMCONV_DURATION_BUCKETS: the OpenTelemetry HTTP semantic-convention bounds for request duration, in seconds. */
export const SEMCONV_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** DEFAULT_SIZE_BUCKETS: bounds of the body-size histograms, in bytes (100 B to 100 MB, by 10x). */
export const DEFAULT_SIZE_BUCKETS: readonly number[] = Object.freeze([100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]);

// zod 4 numbers are finite already (NaN and ±Infinity are rejected).
const buckets = z
  .array(z.number().check(z.positive()))
  .check(
    z.minLength(1),
    z.refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]), 'buckets must be strictly increasing'),
  );

export const optionsSchema = z.strictObject({
  naming: z._default(z.enum(['semconv', 'prom-client']), 'semconv'),
  prefix: z._default(
    z.string().check(z.regex(/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/, 'prefix must be empty or a valid metric-name start, e.g. "gradient_"')),
    '',
  ),
  buckets: z._default(buckets, () => [...SEMCONV_DURATION_BUCKETS]),
  statusClasses: z._default(z.boolean(), false),
  ignoreRoutes: z._default(z.array(z.string().check(z.minLength(1))), () => ['/metrics']),
  activeRequests: z._default(z.boolean(), true),
  bodySizes: z._default(z.boolean(), false),
  sizeBuckets: z._default(buckets, () => [...DEFAULT_SIZE_BUCKETS]),
  maxRoutes: z._default(z.number().check(z.int(), z.minimum(1)), 1000),
});

/** HttpMetricsOptions: what `httpMetrics()` takes; every option is optional (docs/plugins/http.md has the table). */
export interface HttpMetricsOptions {
  /** naming: "semconv" (OpenTelemetry names, default) or "prom-client" (`http_request_duration_seconds{method,route,status_code}`). */
  naming?: 'semconv' | 'prom-client';
  /** prefix: prepended to every metric name, e.g. "gradient_". Default "". */
  prefix?: string;
  /** buckets: duration histogram bounds in seconds. Default the semconv bounds (5 ms to 10 s). */
  buckets?: readonly number[];
  /** statusClasses: label status codes by class ("2xx", "4xx") instead of the exact code. Default false. */
  statusClasses?: boolean;
  /** ignoreRoutes: route templates (or, for unmatched requests, exact paths) not recorded. Default ["/metrics"]. */
  ignoreRoutes?: readonly string[];
  /** activeRequests: keep the in-flight gauge (by method). Default true. */
  activeRequests?: boolean;
  /** bodySizes: also record request body sizes (Content-Length) and response body sizes (bytes written). Default false. */
  bodySizes?: boolean;
  /** sizeBuckets: body-size histogram bounds in bytes. Default 100 B to 100 MB by 10x. */
  sizeBuckets?: readonly number[];
  /** maxRoutes: distinct route values kept before further ones fold into "__other__". Default 1000. */
  maxRoutes?: number;
}

/** ResolvedOptions: options after defaults. */
export type ResolvedOptions = zod.infer<typeof optionsSchema>;
