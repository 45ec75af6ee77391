/**
 * options: the plugin's options, validated with zod through the framework's `parseOptions`, so a
 * bad option throws `METRICORE_INVALID_OPTION` naming the option and the value.
 */
import { z } from 'zod';

/** SEMCONV_DURATION_BUCKETS: the OpenTelemetry HTTP semantic-convention bounds for request duration, in seconds. */
export const SEMCONV_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** DEFAULT_SIZE_BUCKETS: bounds of the body-size histograms, in bytes (100 B to 100 MB, by 10x). */
export const DEFAULT_SIZE_BUCKETS: readonly number[] = Object.freeze([100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]);

const buckets = z
  .array(z.number().finite().positive())
  .min(1)
  .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]), 'buckets must be strictly increasing');

export const optionsSchema = z
  .object({
    naming: z.enum(['semconv', 'prom-client']).default('semconv'),
    prefix: z
      .string()
      .regex(/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/, 'prefix must be empty or a valid metric-name start, e.g. "gradient_"')
      .default(''),
    buckets: buckets.default([...SEMCONV_DURATION_BUCKETS]),
    statusClasses: z.boolean().default(false),
    ignoreRoutes: z.array(z.string().min(1)).default(['/metrics']),
    activeRequests: z.boolean().default(true),
    bodySizes: z.boolean().default(false),
    sizeBuckets: buckets.default([...DEFAULT_SIZE_BUCKETS]),
    maxRoutes: z.number().int().min(1).default(1000),
  })
  .strict();

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
export type ResolvedOptions = z.infer<typeof optionsSchema>;
