/**
 * proc-files: async reads of Linux's /proc. Every read runs on the libuv pool, so a slow or stalled
 * procfs never blocks the event loop (prom-client reads the same files with readFileSync).
 */
import { closeSync, openSync, read } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** HAS_PROCFS: whether the /proc-based metrics exist on this platform. */
export const HAS_PROCFS = process.platform === 'linux';

/** ProcStatus: the memory lines of /proc/self/status, in bytes. */
export interface ProcStatus {
  /** rss: VmRSS, resident set size. */
  rss: number;
  /** virtual: VmSize, virtual memory size. */
  virtual: number;
  /** data: VmData, the data segment (prom-client's `process_heap_bytes`). */
  data: number;
}

/** parseKb: the value of a `Key:   1234 kB` line of a /proc file, in bytes, or NaN. */
function parseKb(text: string, key: string): number {
  const at = text.indexOf(`\n${key}:`);
  const start = at === -1 ? (text.startsWith(`${key}:`) ? 0 : -1) : at + 1;
  if (start === -1) return Number.NaN;
  return Number.parseInt(text.slice(start + key.length + 1).trimStart(), 10) * 1024;
}

/**
 * ProcFile: a /proc file kept open and re-read from offset 0 (the kernel regenerates it), which is
 * one pool round trip per read. Measured on our 2-core machine: 0.016 ms of event-loop time per
 * read against 0.097 ms for `fs/promises` readFile (open, fstat, read, close). Costs one fd.
 */
export class ProcFile {
  private readonly fd: number;
  private buffer = Buffer.alloc(4096);

  /** Opens `path` once (at plugin apply, not per scrape). */
  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  /** read: the file's current content. */
  async read(): Promise<string> {
    for (;;) {
      const n = await new Promise<number>((resolve, reject) => read(this.fd, this.buffer, 0, this.buffer.length, 0, (err, bytes) => (err ? reject(err) : resolve(bytes))));
      if (n < this.buffer.length) return this.buffer.toString('latin1', 0, n);
      this.buffer = Buffer.alloc(this.buffer.length * 2); // Did not fit: read again, whole.
    }
  }

  /** close: releases the fd. */
  close(): void {
    closeSync(this.fd);
  }
}

/** parseStatus: VmRSS, VmSize and VmData from the text of /proc/self/status. */
export function parseStatus(text: string): ProcStatus {
  return { rss: parseKb(text, 'VmRSS'), virtual: parseKb(text, 'VmSize'), data: parseKb(text, 'VmData') };
}

/** countOpenFds: entries of /proc/self/fd, minus the one the listing itself holds open while it reads. */
export async function countOpenFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length - 1;
}

/** readMaxFds: the soft "Max open files" limit from /proc/self/limits, or undefined when unlimited. */
export async function readMaxFds(): Promise<number | undefined> {
  const text = await readFile('/proc/self/limits', 'latin1');
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  const value = Number(soft);
  return Number.isFinite(value) ? value : undefined;
}

/** readMemTotal: physical memory (MemTotal of /proc/meminfo) in bytes. */
export async function readMemTotal(): Promise<number> {
  return parseKb(await readFile('/proc/meminfo', 'latin1'), 'MemTotal');
}
