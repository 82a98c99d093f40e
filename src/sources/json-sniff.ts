/** Sniffing shared by the JSON formats: markers in the first bytes, each with a score. */

/** A pattern in the first bytes of a stream and the score it gives the format. */
export type SniffMarker = readonly [RegExp, number];

/**
 * Returns the highest score among the markers found in the head, or 0 when the head does not
 * start (after white space) with `{` or `[`, since then it holds no JSON records.
 */
export function jsonMarkerScore(head: Buffer, markers: readonly SniffMarker[]): number {
  const textHead = head.toString('latin1');
  const first = textHead.trimStart()[0];
  if (first !== '{' && first !== '[') return 0;

  let score = 0;
  for (const [pattern, value] of markers) {
    if (value > score && pattern.test(textHead)) score = value;
  }
  return score;
}
