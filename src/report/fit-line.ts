import type { Level } from '../detect/types.ts';

/**
 * One piece of a terminal line, already sanitized. Only `shrink` pieces (titles, names, paths,
 * reasons) are ever shortened, so codes, times and counts are always shown whole. A `level`
 * piece is colored by severity when color is on.
 */
export interface LinePart {
  text: string;
  shrink?: boolean;
  level?: Level;
}

/** Minimum length of a shortened part, in characters including the ellipsis. */
const MIN_SHRUNK = 12;

/**
 * Joins the parts of one line. When `width` is given and the line is longer, the longest
 * shrinkable parts are cut with `…` until the line fits or each is down to `MIN_SHRUNK`
 * characters, so a line of mostly fixed parts can stay longer than `width`. `paint` colors
 * `level` parts after fitting, so no escape sequence is ever cut.
 */
export function fitLine(
  parts: readonly LinePart[],
  width: number | undefined,
  paint: (level: Level, text: string) => string,
): string {
  const texts = parts.map((part) => part.text);
  if (width !== undefined) shrink(parts, texts, width);

  return parts
    .map((part, i) => (part.level === undefined ? texts[i] : paint(part.level, texts[i] ?? '')))
    .join('')
    .trimEnd();
}

function shrink(parts: readonly LinePart[], texts: string[], width: number): void {
  let excess = texts.reduce((sum, text) => sum + text.length, 0) - width;
  while (excess > 0) {
    const longest = longestShrinkable(parts, texts);
    if (longest === null) return;

    const text = texts[longest] ?? '';
    const length = Math.max(text.length - excess, MIN_SHRUNK);
    texts[longest] = `${text.slice(0, length - 1)}…`;
    excess -= text.length - length;
  }
}

function longestShrinkable(parts: readonly LinePart[], texts: string[]): number | null {
  let longest: number | null = null;
  parts.forEach((part, i) => {
    const length = texts[i]?.length ?? 0;
    if (part.shrink !== true || length <= MIN_SHRUNK) return;
    if (longest === null || length > (texts[longest]?.length ?? 0)) longest = i;
  });

  return longest;
}
