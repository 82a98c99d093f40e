/** Receives progress of long work; the CLI draws it on a TTY and ignores it on a pipe. */
export interface Progress {
  /** Starts a phase, such as reading one evidence item. */
  phase(label: string): void;
  /** Counts one record read. */
  tick(): void;
  stop(): void;
}

/** Progress that shows nothing. */
export const noProgress: Progress = {
  phase: () => {},
  tick: () => {},
  stop: () => {},
};
