import path from 'node:path';
import type { InvestigateResult } from '../pipeline/investigate.ts';
import { renderSummary } from '../report/index.ts';
import type { CliIo } from './io.ts';

/**
 * Prints a finished run: the JSON summary for scripts, or the terminal summary and where the
 * reports are for people.
 */
export function printRunResult(result: InvestigateResult, json: boolean, io: CliIo): void {
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ ...result.summary, reports: result.reportFiles }, null, 2)}\n`,
    );
    return;
  }

  const color = Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;
  const width = io.stdout.columns ?? 120;
  io.stdout.write(renderSummary(result.report, { color, width }));
  io.stdout.write('\nReports:\n');
  for (const file of result.reportFiles) {
    io.stdout.write(`  ${path.relative(io.cwd, file) || file}\n`);
  }
}
