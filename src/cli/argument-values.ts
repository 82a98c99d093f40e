/**
 * Shortens the command-line values that an error message repeats. A usage error names the
 * invalid value, and a value of 20,000 characters would otherwise fill the terminal.
 */
import { resolve } from 'node:path';

/** Maximum UTF-16 code units of a command-line value that an error message repeats whole. */
export const MAX_ECHOED_VALUE = 256;

// Code units of a longer value that its short form keeps.
const HEAD_LENGTH = 64;

/**
 * Returns `message` with each value of `argv` longer than `MAX_ECHOED_VALUE` that it contains
 * replaced by the value's first code units and its length, such as `abc…(20000 characters)`.
 * Besides the whole argument, the value of `--option=value`, the value joined to a short option
 * (`-fvalue`) and the absolute path that a value resolves to are replaced, because messages
 * repeat those forms.
 */
export function shortenArgumentValues(message: string, argv: readonly string[]): string {
  const values = new Set<string>();
  for (const arg of argv) {
    values.add(arg);
    const equals = arg.startsWith('-') ? arg.indexOf('=') : -1;
    if (equals > 0) values.add(arg.slice(equals + 1));
    if (/^-[^-]/.test(arg)) values.add(arg.slice(2));
    if (arg.length > MAX_ECHOED_VALUE) values.add(resolve(arg));
  }
  // The longest first, so that the value of `--option=value` does not cut the whole argument.
  const long = [...values]
    .filter((value) => value.length > MAX_ECHOED_VALUE)
    .sort((a, b) => b.length - a.length);

  let shortened = message;
  for (const value of long) shortened = shortened.split(value).join(shortValue(value));
  return shortened;
}

function shortValue(value: string): string {
  const last = value.charCodeAt(HEAD_LENGTH - 1);
  const cut = last >= 0xd800 && last <= 0xdbff ? HEAD_LENGTH - 1 : HEAD_LENGTH;
  return `${value.slice(0, cut)}…(${value.length} characters)`;
}
