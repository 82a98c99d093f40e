import { shortenedText } from '../core/shortened-text.ts';

/**
 * Characters of one log value, such as an actor, that a table of the Markdown, HTML, PDF and
 * terminal reports shows. The case stores values up to 16 KiB, and 500 attack timeline entries
 * with actors of that length made a PDF of thousands of pages. `report.json` and
 * `findings.json` keep the stored values.
 */
export const SHOWN_VALUE_LENGTH = 512;

/** Returns `text`, or its start with its length and SHA-256 when it is longer than shown. */
export function shownValue(text: string | null): string | null {
  if (text === null) return null;

  return shortenedText(text, SHOWN_VALUE_LENGTH, SHOWN_VALUE_LENGTH - 128);
}
