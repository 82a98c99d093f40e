/** Process exit codes, documented in the README. */
export const EXIT = {
  /** The command completed and every input record was stored. */
  ok: 0,
  /** An unexpected internal error stopped the command. */
  internal: 1,
  /** The command line was invalid. */
  usage: 2,
  /** The command completed, but some records or files were rejected (see the report). */
  partial: 3,
  /** The case folder is missing, invalid or open in another process. */
  case: 4,
  /** Evidence or the custody chain failed verification. */
  verification: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An operational failure with a stable code and a message that says what to do next. Messages
 * name files, fields and record locations, never log content, which may hold secrets.
 */
export class CloudcaseError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(
    code: string,
    message: string,
    exitCode: ExitCode = EXIT.internal,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CloudcaseError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Maximum characters of the cause's message that `causeLine` keeps. */
const CAUSE_CHARS = 300;

/** Returns the first line of an error's message, shortened to CAUSE_CHARS. */
export function causeLine(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  const line = text.split('\n', 1)[0]!.trim();

  return line.length > CAUSE_CHARS ? `${line.slice(0, CAUSE_CHARS)}…` : line;
}
