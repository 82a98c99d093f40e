/**
 * Explanations as stored with detections: the reasons of a match, bounded in number and length,
 * because they copy attacker-controlled values into the case, the reports and the workbench.
 */
import type { DetectionExplanation } from '../types.ts';
import type { MatchExplanation } from './explain.ts';
import { valueText } from './fields.ts';

/** Maximum reasons kept per detection; the rest are counted in `omitted`. */
export const MAX_STORED_REASONS = 8;

/** Maximum characters of a stored value or expected text. */
export const MAX_REASON_TEXT = 200;

/** Shortens an explanation for storage; `null` for no explanation. */
export function storedExplanation(
  explanation: MatchExplanation | null,
): DetectionExplanation | null {
  if (explanation === null) return null;

  const kept = explanation.reasons.slice(0, MAX_STORED_REASONS);
  return {
    reasons: kept.map((reason) => ({
      search: clip(reason.search),
      field: reason.field === null ? null : clip(reason.field),
      modifiers: reason.modifiers.map(clip),
      value: textOf(reason.value),
      expected: clip(reason.expected),
    })),
    omitted: explanation.reasons.length - kept.length,
  };
}

function textOf(value: unknown): string | null {
  const text = valueText(value);
  return text === null ? null : clip(text);
}

function clip(text: string): string {
  if (text.length <= MAX_REASON_TEXT) return text;
  // The cut never splits a surrogate pair, so the stored text stays well-formed UTF-16.
  let end = MAX_REASON_TEXT - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
