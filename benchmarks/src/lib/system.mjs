/**
 * system: the System line: CPU, cores, Node, Rust and the versions of every library compared.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const roots = [join(here, '..', '..', 'node_modules'), join(here, '..', '..', '..', 'node_modules')];

/** LIBRARIES: every package the benchmarks compare or drive. */
export const LIBRARIES = [
  '@metricore/framework',
  '@metricore/core-native',
  '@metricore/plugin-http',
  '@metricore/plugin-process',
  'prom-client',
  '@prometheus-io/client',
  '@platformatic/prom-client',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-prometheus',
  'express',
  'fastify',
  'express-prom-bundle',
  'fastify-metrics',
  'tinybench',
];

/** packageVersion: the installed version of `name`, read from its package.json (exports maps may hide it from require). */
export function packageVersion(name) {
  for (const root of roots) {
    const file = join(root, name, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version;
  }
  return null;
}

function tool(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0];
  } catch {
    return null;
  }
}

/** systemInfo: what the System line prints and the JSON records. */
export function systemInfo() {
  const cpus = os.cpus();
  const versions = {};
  for (const name of LIBRARIES) versions[name] = packageVersion(name);
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    rust: tool('rustc', ['--version']),
    wrk: tool('wrk', ['--version']),
    versions,
  };
}

/** systemLine: one line for humans. */
export function systemLine(s) {
  const libs = Object.entries(s.versions)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `System: ${s.cpu}, ${s.cores} cores, ${s.memoryGiB} GiB, ${s.os} (load ${s.loadAverage.join(" ")} at start); Node ${s.node}; ${s.rust ?? 'rustc not found'}; ${libs}`;
}
