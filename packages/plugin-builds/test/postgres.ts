/**
 * postgres: a throwaway PostgreSQL cluster for the tests, from Debian's server binaries: initdb in a
 * temporary directory, listening on 127.0.0.1 on a free port, run as an unprivileged user when the
 * tests run as root (the server refuses root). `stop()` removes everything whatever happened.
 * Missing binaries skip the PostgreSQL tests only when CI is unset; in CI they fail.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** PG_BIN: where Debian's postgresql-15 package puts initdb and pg_ctl (override with PG_BIN). */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** postgresAvailable: whether the binaries are here; in CI their absence is an error, not a skip. */
export function postgresAvailable(): boolean {
  const present = existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));
  if (!present && process.env.CI) throw new Error(`PostgreSQL server binaries not found in ${PG_BIN}; .ci/run installs the postgresql package`);
  return present;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** TestCluster: a running cluster; `connectionString` for pg, `stop()`/`start()` to take it away and bring it back. */
export interface TestCluster {
  readonly port: number;
  readonly connectionString: string;
  /** stop: fast shutdown (open connections are terminated), waits until it is down. */
  stop(): Promise<void>;
  /** start: starts it again on the same port, waits until it accepts connections. */
  start(): Promise<void>;
  /** destroy: stops it if running and removes its directory. */
  destroy(): Promise<void>;
}

/** startCluster: initdb + pg_ctl start; trust authentication for user "postgres" on loopback only. */
export async function startCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'metricore-pg-'));
  const asRoot = process.getuid?.() === 0;
  // runuser needs an account; nobody exists on Debian. Its home is not writable, so cwd is the temp dir.
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'nobody', '--', cmd, ...args], { cwd: dir }) : run(cmd, args, { cwd: dir }));
  if (asRoot) {
    await chown(dir, 65534, 65534);
  }
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  let running = false;
  const pgctl = (args: string[]) => as(join(PG_BIN, 'pg_ctl'), ['-D', data, ...args]);
  const start = async () => {
    await pgctl(['-w', '-t', '60', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
    running = true;
  };
  const stop = async () => {
    await pgctl(['-w', '-t', '60', '-m', 'fast', 'stop']);
    running = false;
  };
  try {
    await as(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    await start();
  } catch (error) {
    if (running) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    async destroy() {
      try {
        if (running) await stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
