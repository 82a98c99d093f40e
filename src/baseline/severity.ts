import type { Level } from '../detect/types.ts';

const ORDER: Record<Level, number> = { critical: 0, high: 1, medium: 2, low: 3, informational: 4 };

/** Sort key of a severity: 0 for critical, the most severe, up to 4 for informational. */
export function severityRank(level: Level): number {
  return ORDER[level];
}
