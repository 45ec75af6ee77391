/**
 * names: metric and label names under each naming scheme.
 */

/** Naming: the metric and label names one scheme uses. */
export interface Naming {
  duration: string;
  active: string;
  requestSize: string;
  responseSize: string;
  method: string;
  route: string;
  status: string;
}

/** NAMINGS: OpenTelemetry HTTP semantic conventions (dots become underscores), and prom-client middleware names. */
export const NAMINGS: Readonly<Record<'semconv' | 'prom-client', Naming>> = Object.freeze({
  semconv: {
    duration: 'http_server_request_duration_seconds',
    active: 'http_server_active_requests',
    requestSize: 'http_server_request_body_size_bytes',
    responseSize: 'http_server_response_body_size_bytes',
    method: 'http_request_method',
    route: 'http_route',
    status: 'http_response_status_code',
  },
  'prom-client': {
    duration: 'http_request_duration_seconds',
    active: 'http_requests_in_flight',
    requestSize: 'http_request_size_bytes',
    responseSize: 'http_response_size_bytes',
    method: 'method',
    route: 'route',
    status: 'status_code',
  },
});

/** UNMATCHED_ROUTE: the one route value of requests no route matched (404s, scanners). */
export const UNMATCHED_ROUTE = '__unmatched__';
/** OTHER_ROUTE: where route values beyond `maxRoutes` fold. */
export const OTHER_ROUTE = '__other__';
/** OTHER_METHOD: where methods outside the known set fold (the semconv value). */
export const OTHER_METHOD = '_OTHER';
/** ABORTED_STATUS: the status label of a response whose connection closed before it finished. */
export const ABORTED_STATUS = 'aborted';
