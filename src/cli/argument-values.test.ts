import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ECHOED_VALUE, shortenArgumentValues } from './argument-values.ts';

describe('shortenArgumentValues', () => {
  it('cuts a long value to its start and length', () => {
    const value = 'x'.repeat(20_000);
    const message = `option '--ip <address>' argument '${value}' is invalid.`;

    const short = shortenArgumentValues(message, ['timeline', '--ip', value]);

    expect(short).toBe(
      `option '--ip <address>' argument '${'x'.repeat(64)}…(20000 characters)' is invalid.`,
    );
  });

  it('cuts the value of an option written with =', () => {
    const value = 'y'.repeat(1_000);

    const short = shortenArgumentValues(`argument '${value}'`, [`--since=${value}`]);

    expect(short).toBe(`argument '${'y'.repeat(64)}…(1000 characters)'`);
  });

  it('cuts the value joined to a short option', () => {
    const value = 'f'.repeat(500);

    const short = shortenArgumentValues(`argument '${value}'`, [`-f${value}`]);

    expect(short).toBe(`argument '${'f'.repeat(64)}…(500 characters)'`);
  });

  it('cuts the absolute path of a relative value', () => {
    const value = `./${'c'.repeat(400)}/`;
    const path = resolve(value);

    const short = shortenArgumentValues(`case folder ${path} does not exist`, ['--case', value]);

    expect(short).toBe(
      `case folder ${path.slice(0, 64)}…(${path.length} characters) does not exist`,
    );
  });

  it('keeps short values whole', () => {
    const value = 'z'.repeat(MAX_ECHOED_VALUE);

    expect(shortenArgumentValues(`argument '${value}'`, [value])).toBe(`argument '${value}'`);
  });

  it('keeps a surrogate pair whole', () => {
    const value = `${'a'.repeat(63)}😀${'b'.repeat(300)}`;

    const short = shortenArgumentValues(value, [value]);

    expect(short).toBe(`${'a'.repeat(63)}…(365 characters)`);
  });
});
