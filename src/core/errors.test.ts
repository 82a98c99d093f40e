import { describe, expect, test } from 'vitest';
import { causeLine } from './errors.ts';

describe('causeLine', () => {
  test('keeps the first line', () => {
    const cause = new Error('Out of Memory Error: failed\n\nPossible solutions:');

    expect(causeLine(cause)).toBe('Out of Memory Error: failed');
  });

  test('shortens a long cause', () => {
    const line = causeLine(new Error('x'.repeat(1_000)));

    expect(line).toBe(`${'x'.repeat(300)}…`);
  });
});
