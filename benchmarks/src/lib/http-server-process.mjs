/**
 * http-server-process: starts one lib/http-server.mjs in a process of its own, pinned to CPU 0
 * where `taskset` exists, for the HTTP scenario (http.bench.mjs) and its A/B tool (http-ab.mjs).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const serverScript = fileURLToPath(new URL('./http-server.mjs', import.meta.url));

/** pin: whether `taskset` can pin processes to a CPU here. */
export const pin = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** pinned: `[command, args]` to run `command` on `cpu` (unpinned without taskset). */
export const pinned = (cpu, command, args) => (pin ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args]);

/**
 * startServer: a hello-world server (`framework` node|express|fastify, `metrics` as
 * lib/http-server.mjs takes) started with `nodeFlags`; resolves `{ child, port, cpu }` once it
 * listens, where `cpu()` resolves the server's process.cpuUsage() in µs (user + system), asked over stdin.
 */
export function startServer(framework, metrics, nodeFlags) {
  const child = spawn(...pinned(0, process.execPath, [...nodeFlags, serverScript, framework, metrics]), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once('line', (line) => resolve(JSON.parse(line))));
  const cpu = async () => {
    const answer = next();
    child.stdin.write('cpu\n');
    const { user, system } = await answer;
    return user + system;
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server ${framework}/${metrics} exited with code ${code}`)));
    next().then(({ port }) => resolve({ child, port, cpu }));
  });
}
