import { describe, expect, test } from 'vitest';
import { KEPT_STRING_BYTES, skimJsonStrings } from './json-skim.ts';

function skim(text: string, maxBytes = 1024 * 1024): string {
  return skimJsonStrings(Buffer.from(text, 'latin1'), maxBytes).toString('latin1');
}

describe('skimJsonStrings', () => {
  test('cuts a long string and keeps the keys after it', () => {
    const text = `{"a":"${'x'.repeat(10_000)}","eventName":"GetObject"}`;

    expect(skim(text)).toBe(`{"a":"${'x'.repeat(KEPT_STRING_BYTES)}","eventName":"GetObject"}`);
  });

  test('keeps short strings and other values whole', () => {
    const text = '{"a": [1, true, null, {"b": "c\\"d"}]}\n{"e": "f"}';

    expect(skim(text)).toBe(text);
  });

  test('reads escaped quotes as part of the string', () => {
    const text = `{"a":"${'\\"'.repeat(5_000)}","b":1}`;
    const skimmed = skim(text);

    expect(skimmed).toBe(`{"a":"${'\\"'.repeat(KEPT_STRING_BYTES / 2)}","b":1}`);
  });

  test('leaves out an escape sequence that the cut would split', () => {
    const text = `{"a":"${'x'.repeat(KEPT_STRING_BYTES - 1)}\\n${'y'.repeat(100)}","b":1}`;

    expect(skim(text)).toBe(`{"a":"${'x'.repeat(KEPT_STRING_BYTES - 1)}","b":1}`);
  });

  test('keeps a \\u escape whole or leaves it out', () => {
    for (let before = KEPT_STRING_BYTES - 8; before < KEPT_STRING_BYTES; before++) {
      const text = `{"a":"${'x'.repeat(before)}\\u00e9${'y'.repeat(100)}","b":1}`;

      const skimmed = skim(text);

      expect(() => JSON.parse(skimmed), skimmed.slice(before)).not.toThrow();
      expect(JSON.parse(skimmed)).toMatchObject({ b: 1 });
    }
  });

  test('stops at the maximum output', () => {
    expect(skim(`{"a":"${'x'.repeat(10_000)}"}`, 10)).toBe('{"a":"xxxx');
  });
});
