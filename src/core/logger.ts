import type { Writable } from 'node:stream';
import { sanitizeTerminal } from './escape.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The one logger. Engines receive it instead of printing; the streams are constructor
 * parameters so tests can capture them. Lines go to the error stream so stdout stays
 * machine-readable for `--json` output.
 */
export class Logger {
  readonly #stream: Writable;
  readonly #min: number;

  constructor(stream: Writable, level: LogLevel = 'info') {
    this.#stream = stream;
    this.#min = LEVELS[level];
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.#write('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.#write('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.#write('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.#write('error', message, fields);
  }

  #write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] < this.#min) return;

    const parts = [`${level}: ${message}`];
    for (const [key, value] of Object.entries(fields ?? {})) {
      parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
    this.#stream.write(`${sanitizeTerminal(parts.join(' '))}\n`);
  }
}

/** A logger that drops everything, for library callers and tests that do not care. */
export function silentLogger(): Logger {
  return new Logger({ write: () => true } as unknown as Writable, 'error');
}
