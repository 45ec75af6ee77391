/**
 * exposition: content negotiation and the pieces a scrape body is made of (native render plus
 * any attached prom-client registries).
 */
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { ExpositionFormat } from './hooks.js';
import { native } from './native.js';

// node:zlib and negotiator are loaded on the first scrape that needs them, not at import: together they
// retain about 0.15 MiB of heap that a host which never serves or gzips would keep (issue #17).
let gzipAsync: ((body: Buffer, options: { level: number }) => Promise<Buffer>) | undefined;
let NegotiatorClass: typeof import('negotiator') | undefined;
const [TEXT, OPENMETRICS] = native.contentTypes();

/** CONTENT_TYPES: the content type of each exposition format. */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = Object.freeze({ text: TEXT, openmetrics: OPENMETRICS });

const ACCEPTABLE = [
  'text/plain',
  'text/plain; version=0.0.4',
  'application/openmetrics-text; version=1.0.0',
  'application/openmetrics-text',
];

/** negotiate: picks the format and encoding an HTTP request asks for (OpenMetrics only when asked). */
export function negotiate(headers: { accept?: string; 'accept-encoding'?: string }): { format: ExpositionFormat; gzip: boolean } {
  NegotiatorClass ??= createRequire(import.meta.url)('negotiator') as typeof import('negotiator');
  const negotiator = new NegotiatorClass({ headers });
  // Listed with and without version parameters: negotiator only matches parameters listed here.
  const type = headers.accept ? negotiator.mediaType(ACCEPTABLE) : 'text/plain';
  const encoding = headers['accept-encoding'] ? negotiator.encoding(['gzip', 'identity']) : 'identity';
  return { format: type?.startsWith('application/openmetrics-text') ? 'openmetrics' : 'text', gzip: encoding === 'gzip' };
}

/**
 * PromClientRegistryLike: the part of a prom-client Registry that metricore reads. A prom-client
 * metric's `type` is declared as a numeric enum but is a string at run time ("counter", ...), so it
 * is read as `unknown` and compared as a string.
 */
export interface PromClientRegistryLike {
  metrics(): Promise<string>;
  readonly contentType: string;
  setContentType(contentType: any): void;
  getMetricsAsArray?(): Array<{ name: string; type?: unknown }>;
}

/**
 * promClientText: an attached prom-client registry's body in `format` (switching its content type
 * for the call), without the families named in `skip` (metricore renders those itself).
 */
export async function promClientText(registry: PromClientRegistryLike, format: ExpositionFormat, skip: ReadonlySet<string> = new Set()): Promise<string> {
  return dropFamilies(await promClientBody(registry, format), skip);
}

async function promClientBody(registry: PromClientRegistryLike, format: ExpositionFormat): Promise<string> {
  const wanted = format === 'openmetrics' ? 'application/openmetrics-text; version=1.0.0; charset=utf-8' : 'text/plain; version=0.0.4; charset=utf-8';
  const original = registry.contentType;
  if (original === wanted) return stripEof(await registry.metrics());
  // prom-client's OpenMetrics render strips `_total` from its counters' names in place, which
  // would break every later text render of that registry: put the names back afterwards.
  const names = (registry.getMetricsAsArray?.() ?? []).map((metric) => [metric, metric.name] as const);
  registry.setContentType(wanted);
  try {
    return stripEof(await registry.metrics());
  } finally {
    registry.setContentType(original);
    for (const [metric, name] of names) metric.name = name;
  }
}

/** dropFamilies: `text` without the lines of the families in `skip` (by the name in their `# HELP`/`# TYPE` lines). */
function dropFamilies(text: string, skip: ReadonlySet<string>): string {
  if (skip.size === 0) return text;
  let dropping = false;
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ') || line.startsWith('# UNIT ')) {
      dropping = skip.has(line.split(' ', 3)[2]);
    }
    if (!dropping) kept.push(line);
  }
  return kept.join('\n');
}

function stripEof(text: string): string {
  const body = text.replace(/# EOF\s*$/, '');
  return body === '' || body.endsWith('\n') ? body : `${body}\n`;
}

/** joinBodies: the native body with extra text spliced in before OpenMetrics' `# EOF`, gzipped if asked. */
export async function joinBodies(nativeBody: Buffer, extra: string[], format: ExpositionFormat, gzip: boolean): Promise<Buffer> {
  const eof = format === 'openmetrics' ? Buffer.from('# EOF\n') : Buffer.alloc(0);
  const head = format === 'openmetrics' ? nativeBody.subarray(0, nativeBody.length - eof.length) : nativeBody;
  const body = Buffer.concat([head, ...extra.map((t) => Buffer.from(t)), eof]);
  if (!gzip) return body;
  gzipAsync ??= promisify((createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib')).gzip);
  return gzipAsync(body, { level: 1 });
}
