declare module 'pidusage' {
  /** Status: one sample of a process, as pidusage 4 returns it. */
  export interface Status {
    /** cpu: percent of one core used since the previous sample of this pid. */
    cpu: number;
    /** memory: resident set size in bytes. */
    memory: number;
    /** ctime: user + system CPU time in milliseconds since the process started. */
    ctime: number;
    /** elapsed: milliseconds since the process started. */
    elapsed: number;
    /** timestamp: when the sample was taken (ms since the epoch). */
    timestamp: number;
    pid: number;
    ppid: number;
  }
  function pidusage(pid: number | string, options?: { maxage?: number; usePs?: boolean }): Promise<Status>;
  export default pidusage;
}
