/**
 * process-probe: what one scrape costs the serving process, measured inside it.
 *
 * - worst block: the largest lateness of a 1 ms timer (`monitorEventLoopDelay` with a 1 ms
 *   resolution records every interval of a libuv timer; lateness = interval - 1 ms). This is what
 *   a request arriving during the scrape waits, unlike event-loop utilisation, which sums work.
 * - busy: event-loop utilisation's active time over the window (kept for comparison).
 * - peak resident: Linux's high-water mark `VmHWM`, reset at the start of the window by writing
 *   `5` to /proc/self/clear_refs, so a peak between two timer ticks is not missed.
 * - the machine's steal time (a VM's vCPUs kept off a real CPU by the hypervisor), all vCPUs.
 * - the JS thread's scheduler accounting (/proc/thread-self/schedstat): time on a CPU, and time
 *   runnable but waiting for one. On a loaded 2-core machine a timer is late either because the
 *   thread was working or because it was waiting for a CPU; only the first is the server's doing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

function statusKiB(field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
}

/** resetPeak: resets the resident high-water mark to the current level; false where the kernel does not allow it. */
export function resetPeak() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** threadSchedMs: the calling thread's [ms on a CPU, ms runnable waiting for a CPU]; undefined off Linux. */
function threadSchedMs() {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return [run / 1e6, wait / 1e6];
  } catch {
    return undefined;
  }
}

/**
 * machineStealMs: the machine's steal time so far, all CPUs (/proc/stat, in 10 ms ticks: USER_HZ is
 * 100 on Linux x86-64 and arm64); undefined off Linux. Steal is time the hypervisor gave a vCPU of
 * this VM to someone else while the vCPU had work: inside the VM a thread then looks as if it ran
 * (or slept), so neither schedstat nor a CPU profile sees it, but a timer is late all the same.
 */
function machineStealMs() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    return cpu[8] === undefined ? undefined : Number(cpu[8]) * 10;
  } catch {
    return undefined;
  }
}

/** startProbe: opens a measurement window; `stop()` closes it and returns its figures. */
export function startProbe() {
  const peakResettable = resetPeak();
  const sched = threadSchedMs();
  const steal = machineStealMs();
  const startRss = process.memoryUsage.rss();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const elu = performance.eventLoopUtilization();
  delay.enable();
  return {
    stop() {
      delay.disable();
      const busy = performance.eventLoopUtilization(elu).active;
      const rss = process.memoryUsage.rss();
      const hwm = statusKiB('VmHWM');
      const schedEnd = threadSchedMs();
      const stealEnd = machineStealMs();
      return {
        // The machine's steal time during the window, all vCPUs, 10 ms resolution (undefined off Linux).
        stealMs: steal !== undefined && stealEnd !== undefined ? stealEnd - steal : undefined,
        // The JS thread's time on a CPU and waiting for one during the window (undefined off Linux).
        onCpuMs: sched && schedEnd ? schedEnd[0] - sched[0] : undefined,
        waitCpuMs: sched && schedEnd ? schedEnd[1] - sched[1] : undefined,
        worstBlockMs: delay.count > 0 ? Math.max(0, delay.max / 1e6 - 1) : 0,
        timerTicks: delay.count,
        busyMs: busy,
        startRssBytes: startRss,
        endRssBytes: rss,
        // Without a resettable high-water mark the peak is unknown (not the process's lifetime peak).
        peakRssBytes: peakResettable && hwm !== undefined ? hwm : undefined,
      };
    },
  };
}

/** settledRss: resident bytes after full collections, with turns of the loop between them (napi finalizers run on a later turn). */
export async function settledRss() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage.rss();
}
