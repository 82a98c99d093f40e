/**
 * Shortens text that would be too long to keep whole in a place every row repeats, such as a
 * stored column. The short form keeps the start and ends with the length and SHA-256 of the
 * whole text, so two long texts with the same start stay distinct and the whole one can be
 * found again in the original.
 */
import { createHash } from 'node:crypto';

/**
 * Returns `text` when it has at most `maxLength` UTF-16 code units. Otherwise returns its first
 * `headLength` code units, one fewer where that would split a surrogate pair, then
 * `…(<length> characters, SHA-256 <hex of the UTF-8 text>)`.
 */
export function shortenedText(text: string, maxLength: number, headLength: number): string {
  if (text.length <= maxLength) return text;

  const last = text.charCodeAt(headLength - 1);
  const cut = last >= 0xd800 && last <= 0xdbff ? headLength - 1 : headLength;
  const digest = createHash('sha256').update(text, 'utf8').digest('hex');

  const short = `${text.slice(0, cut)}…(${text.length} characters, SHA-256 ${digest})`;
  // V8 keeps a slice of a string as a view of the whole, so the short form would keep the long
  // text in memory for as long as it lives. A JSON round trip copies it exactly.
  return JSON.parse(JSON.stringify(short)) as string;
}
