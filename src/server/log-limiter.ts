/**
 * Limits how many lines of one kind a logger writes per time window, so that a flood of bad
 * requests cannot fill the server's log; the lines it drops are counted and reported once the
 * next window opens.
 */
export class LogLimiter {
  readonly #maxPerWindow: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #written = 0;
  #dropped = 0;

  constructor(maxPerWindow: number, windowMs: number, now: () => number = Date.now) {
    this.#maxPerWindow = maxPerWindow;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /**
   * Returns whether a line may be written now, and how many lines were dropped in the window
   * that just ended (0 unless a new window opens after drops).
   */
  admit(): { write: boolean; dropped: number } {
    const now = this.#now();
    let dropped = 0;
    if (now - this.#windowStart >= this.#windowMs) {
      dropped = this.#dropped;
      this.#windowStart = now;
      this.#written = 0;
      this.#dropped = 0;
    }
    if (this.#written < this.#maxPerWindow) {
      this.#written += 1;
      return { write: true, dropped };
    }
    this.#dropped += 1;
    return { write: false, dropped };
  }
}
