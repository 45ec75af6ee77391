/**
 * memory-limit: the memory this process may really use: the tightest cgroup limit (v2 `memory.max`
 * or v1 `memory.limit_in_bytes`, on its own cgroup and every ancestor), else physical memory.
 * Read asynchronously; `process.constrainedMemory()` reads the same files synchronously on the loop.
 */
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { HAS_PROCFS, readMemTotal } from './proc-files.js';

/** Values at or above this mean "no limit" (v1 writes LONG_MAX rounded down to a page; v2 writes "max"). */
const UNLIMITED = 2 ** 62;

async function readLimit(file: string): Promise<number | undefined> {
  try {
    const text = (await readFile(file, 'latin1')).trim();
    const value = Number(text);
    return text === 'max' || !Number.isFinite(value) || value >= UNLIMITED ? undefined : value;
  } catch {
    return undefined; // Not this cgroup version, or not mounted here.
  }
}

/** ancestors: `/a/b` → [`/a/b`, `/a`, ``]: a limit on any ancestor cgroup applies too. */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => `/${parts.slice(0, parts.length - i).join('/')}`).concat('');
}

/** candidateFiles: every limit file that may constrain this process, from /proc/self/cgroup. */
export function candidateFiles(procSelfCgroup: string, root = '/sys/fs/cgroup'): string[] {
  const files: string[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    // `hierarchy-id:controllers:path`; the path itself may contain colons.
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first === -1 || second === -1) continue;
    const id = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (id === '0' && controllers === '') {
      for (const dir of ancestors(path)) files.push(`${root}${dir}/memory.max`, `${root}/unified${dir}/memory.max`);
    } else if (controllers.split(',').includes('memory')) {
      for (const dir of ancestors(path)) files.push(`${root}/memory${dir}/memory.limit_in_bytes`);
    }
  }
  return files;
}

/** readCgroupLimit: the tightest cgroup memory limit in bytes, or undefined when there is none. */
export async function readCgroupLimit(root = '/sys/fs/cgroup'): Promise<number | undefined> {
  let cgroups: string;
  try {
    cgroups = await readFile('/proc/self/cgroup', 'latin1');
  } catch {
    return undefined;
  }
  const limits = await Promise.all(candidateFiles(cgroups, root).map(readLimit));
  const found = limits.filter((v): v is number => v !== undefined);
  return found.length === 0 ? undefined : Math.min(...found);
}

/** readMemoryLimit: the cgroup limit if there is one, capped by physical memory. */
export async function readMemoryLimit(): Promise<number> {
  if (!HAS_PROCFS) return totalmem();
  const [cgroup, physical] = await Promise.all([readCgroupLimit(), readMemTotal()]);
  return cgroup === undefined ? physical : Math.min(cgroup, physical);
}
