import { cloudTrail } from './cloudtrail.ts';
import type { SourceFormat } from './types.ts';

/** Every log format cloudcase reads, in the order `cloudcase sources` lists them. */
export const FORMATS: SourceFormat[] = [cloudTrail];

/** Lowest sniff score that counts as recognised. */
export const SNIFF_THRESHOLD = 0.5;

/**
 * Picks the format whose sniff scores the first bytes of a decompressed stream highest, or
 * `null` when no format reaches `SNIFF_THRESHOLD`.
 */
export function detectFormat(head: Buffer, name: string): SourceFormat | null {
  let best: SourceFormat | null = null;
  let bestScore = SNIFF_THRESHOLD;
  for (const format of FORMATS) {
    const score = format.sniff(head, name);
    if (score >= bestScore && (best === null || score > bestScore)) {
      best = format;
      bestScore = score;
    }
  }
  return best;
}
