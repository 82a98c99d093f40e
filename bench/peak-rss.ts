import { readFile } from 'node:fs/promises';

/**
 * Samples a process's peak resident set size (`VmHWM` in `/proc/<pid>/status`, Linux only) until
 * stopped. A peak reached after the last sample before exit is missed. The child's own
 * `max_rss_bytes` covers that case.
 */
export class PeakRssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs = 100) {
    this.#timer = setInterval(() => void this.#sample(pid), intervalMs);
  }

  /** Peak seen so far, in bytes; 0 when `/proc` could not be read. */
  get peakBytes(): number {
    return this.#peak;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #sample(pid: number): Promise<void> {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
      if (match) this.#peak = Math.max(this.#peak, Number(match[1]) * 1024);
    } catch {
      // The process has exited, or this is not Linux: keep the last value.
    }
  }
}
