import type { RunSummary } from '../pipeline/types.ts';

/**
 * Formats the counts of one run, as opposed to the case totals: records read, stored and
 * rejected, and evidence files new to the case or already present in it.
 */
export function runFigures(run: RunSummary): string {
  const { read, stored, rejected } = run.records;
  const evidence = run.evidence;

  const duplicates = run.duplicates > 0 ? ` (${run.duplicates} repeated from other files)` : '';

  return (
    `read ${read}, stored ${stored}${duplicates}, rejected ${rejected}; ` +
    `evidence ${evidence.new} new, ${evidence.already_present} already present`
  );
}
