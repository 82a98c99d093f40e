import { readFile } from 'node:fs/promises';

// Clock ticks per second of `/proc/<pid>/stat` times: USER_HZ, 100 on Linux for x86 and ARM.
const CLOCK_TICKS = 100;

/**
 * Samples a process's peak resident set size (`VmHWM` in `/proc/<pid>/status`) and its CPU
 * time, all threads together (`utime` plus `stime` in `/proc/<pid>/stat`), until stopped; Linux
 * only. A peak reached, or CPU time spent, after the last sample before exit is missed. The
 * child's own `max_rss_bytes` covers the peak.
 */
export class PeakRssSampler {
  #peak = 0;
  #cpuSeconds = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs = 100) {
    this.#timer = setInterval(() => void this.#sample(pid), intervalMs);
  }

  /** Peak seen so far, in bytes; 0 when `/proc` could not be read. */
  get peakBytes(): number {
    return this.#peak;
  }

  /** CPU time at the last sample, in seconds; 0 when `/proc` could not be read. */
  get cpuSeconds(): number {
    return this.#cpuSeconds;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #sample(pid: number): Promise<void> {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
      if (match) this.#peak = Math.max(this.#peak, Number(match[1]) * 1024);
      // The command name in parentheses may contain spaces, so fields are counted after it.
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      if (Number.isFinite(ticks))
        this.#cpuSeconds = Math.max(this.#cpuSeconds, ticks / CLOCK_TICKS);
    } catch {
      // The process has exited, or this is not Linux: keep the last value.
    }
  }
}
