import type { Logger } from './logger.ts';

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

/** Errors of cleanups that failed after another error, by that error (see `withCleanup`). */
const cleanupFailures = new WeakMap<object, unknown[]>();

/**
 * Runs `work`, then `cleanup` whether or not `work` failed, as `try`/`finally` does, except
 * that an error of `cleanup` never replaces one of `work`. A DuckDB statement that fails in a
 * transaction (out of memory, a constraint) aborts it. Every later statement, such as a DROP
 * TABLE that cleans up, then fails with "Current transaction is aborted", which `finally` would
 * raise in place of the cause. The cleanup's error is kept with the original for the debug log
 * (see `cleanupErrors`), and raised only when `work` succeeded.
 */
export async function withCleanup<T>(work: () => Promise<T>, cleanup: () => unknown): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await cleanUpAfter(error, cleanup);
    throw error;
  }
  await cleanup();

  return result;
}

/**
 * Yields the items of `items`, then runs `cleanup` when they end or fail or the reader stops
 * early. As in `withCleanup`, a failed cleanup never replaces an error of `items`.
 */
export async function* yieldWithCleanup<T>(
  items: AsyncIterable<T>,
  cleanup: () => unknown,
): AsyncGenerator<T> {
  let failed = false;
  try {
    yield* items;
  } catch (error) {
    failed = true;
    await cleanUpAfter(error, cleanup);
    throw error;
  } finally {
    if (!failed) await cleanup();
  }
}

/**
 * Runs `cleanup` after `error` was raised, and keeps an error of `cleanup` with `error` rather
 * than raising it (see `withCleanup`). The caller raises `error` itself.
 */
export async function cleanUpAfter(error: unknown, cleanup: () => unknown): Promise<void> {
  try {
    await cleanup();
  } catch (cleanupError) {
    if (typeof error !== 'object' || error === null) return;
    const failures = cleanupFailures.get(error) ?? [];
    failures.push(cleanupError);
    cleanupFailures.set(error, failures);
  }
}

/** Returns the errors of the cleanups that failed after `error`, in the order they failed. */
export function cleanupErrors(error: unknown): readonly unknown[] {
  if (typeof error !== 'object' || error === null) return [];
  return cleanupFailures.get(error) ?? [];
}

/** Logs at debug level the errors of cleanups that failed after `error` (see `withCleanup`). */
export function logCleanupErrors(logger: Logger, error: unknown): void {
  for (const failure of cleanupErrors(error)) {
    logger.debug('cleanup after the error failed too', { cause: causeLine(failure) });
  }
}
