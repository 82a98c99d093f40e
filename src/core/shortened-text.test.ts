import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shortenedText } from './shortened-text.ts';

describe('shortenedText', () => {
  it('keeps text up to the maximum', () => {
    expect(shortenedText('abc', 3, 2)).toBe('abc');
  });

  it('ends longer text with its length and digest', () => {
    const text = 'abcdef';
    const digest = createHash('sha256').update(text).digest('hex');

    expect(shortenedText(text, 5, 2)).toBe(`ab…(6 characters, SHA-256 ${digest})`);
  });

  it('keeps lone surrogates of the start as they are', () => {
    const text = `a\ud800b${'c'.repeat(10)}`;

    expect(shortenedText(text, 5, 3).startsWith('a\ud800b…')).toBe(true);
  });
});
