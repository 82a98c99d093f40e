import { describe, expect, test } from 'vitest';
import type { MatchExplanation, MatchReason } from './explain.ts';
import { MAX_REASON_TEXT, MAX_STORED_REASONS, storedExplanation } from './stored-explanation.ts';

const reason = (value: unknown, expected = 'x'): MatchReason => ({
  search: 'selection',
  field: 'a',
  modifiers: [],
  value,
  expected,
});

const explanation = (reasons: MatchReason[]): MatchExplanation => ({ rule_id: 'r', reasons });

describe('stored explanations', () => {
  test('null stays null', () => {
    expect(storedExplanation(null)).toBeNull();
  });

  test('values become matcher text', () => {
    const stored = storedExplanation(explanation([reason({ b: 1 }), reason(7), reason(null)]));
    expect(stored?.reasons.map((entry) => entry.value)).toEqual(['{"b":1}', '7', null]);
  });

  test('reasons past the maximum are counted', () => {
    const many = Array.from({ length: MAX_STORED_REASONS + 3 }, (_, index) => reason(index));
    const stored = storedExplanation(explanation(many));
    expect(stored?.reasons).toHaveLength(MAX_STORED_REASONS);
    expect(stored?.omitted).toBe(3);
  });

  test('long text is shortened', () => {
    const stored = storedExplanation(explanation([reason('v'.repeat(5000), 'e'.repeat(5000))]));
    expect(stored?.reasons[0]?.value).toHaveLength(MAX_REASON_TEXT);
    expect(stored?.reasons[0]?.value?.endsWith('…')).toBe(true);
    expect(stored?.reasons[0]?.expected).toHaveLength(MAX_REASON_TEXT);
  });

  test('cut keeps surrogate pairs whole', () => {
    const text = `${'v'.repeat(MAX_REASON_TEXT - 2)}😀😀`;
    const value = storedExplanation(explanation([reason(text)]))?.reasons[0]?.value ?? '';
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(value)).toBe(false);
    expect(value.endsWith('v…')).toBe(true);
  });
});
