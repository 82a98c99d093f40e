import path from 'node:path';
import type { InvestigateResult } from '../pipeline/investigate.ts';
import { renderSummary } from '../report/index.ts';
import { storedReportPath } from '../store/index.ts';
import type { CliIo } from './io.ts';

/**
 * Prints a finished run: the JSON summary for scripts, or the terminal summary and where the
 * reports are for people.
 */
export function printRunResult(result: InvestigateResult, json: boolean, io: CliIo): void {
  const reports = result.reportFiles.map(storedReportPath);
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ ...result.summary, deadlines: result.report.deadlines, reports }, null, 2)}\n`,
    );
    return;
  }

  const color = Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;
  // On a pipe nothing is shortened; on a terminal lines fit its width.
  const width = io.stdout.isTTY ? io.stdout.columns : undefined;
  io.stdout.write(renderSummary(result.report, width === undefined ? { color } : { color, width }));
  io.stdout.write('\nReports:\n');
  for (const file of reports) io.stdout.write(`  ${shownPath(file, io.cwd)}\n`);
}

/** Shortens a path to one relative to the working folder when it lies inside it. */
function shownPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}
