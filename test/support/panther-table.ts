/**
 * The table of Panther's rule test events per log type: which cloudcase format reads each log
 * type, and how many of its test events become events or are rejected, and why. The events
 * are Panther's unit-test fixtures, often cut down to the fields one rule reads, so rejections
 * of fixtures without a time are expected; each is listed with its code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { detectFormat } from '../../src/sources/index.ts';
import { isNormalizeError } from '../../src/sources/types.ts';
import { SHARED_DATA } from './cli.ts';

export const PANTHER_TESTS = path.join(
  SHARED_DATA,
  'logs/panther-analysis-rule-tests/tests_by_logtype',
);

export interface LogTypeRow {
  logType: string;
  tests: number;
  format: string | null;
  events: number;
  rejected: number;
  reasons: Record<string, number>;
}

/** Reads every log type's test events through the format cloudcase recognises for them. */
export async function pantherLogTypes(): Promise<LogTypeRow[]> {
  const files = readdirSync(PANTHER_TESTS)
    .filter((name) => name.endsWith('.jsonl'))
    .sort();
  const rows: LogTypeRow[] = [];
  for (const file of files) {
    const lines = readFileSync(path.join(PANTHER_TESTS, file), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const logs = lines.map((line) => JSON.stringify((JSON.parse(line) as { log: unknown }).log));
    const text = Buffer.from(logs.join('\n'));
    const format = detectFormat(text.subarray(0, 64 * 1024), file);
    const row: LogTypeRow = {
      logType: file.replace(/\.jsonl$/, ''),
      tests: logs.length,
      format: format?.id ?? null,
      events: 0,
      rejected: 0,
      reasons: {},
    };
    if (format !== null) {
      for await (const result of format.records(Readable.from([text]))) {
        const ref = {
          sha256: '0'.repeat(64),
          member: null,
          record: result.index,
          offset: result.offset,
        };
        const outcome = result.kind === 'rejected' ? result : format.normalize(result.value, ref);
        if (result.kind === 'record' && !isNormalizeError(outcome)) {
          row.events += 1;
          continue;
        }
        row.rejected += 1;
        const code = 'code' in outcome ? outcome.code : 'unknown';
        row.reasons[code] = (row.reasons[code] ?? 0) + 1;
      }
    }
    rows.push(row);
  }
  return rows;
}

/** Renders the table as the Markdown page kept in `docs/panther-log-types.md`. */
export function renderLogTypeTable(rows: readonly LogTypeRow[]): string {
  const read = rows.filter((row) => row.format !== null);
  const lines = [
    '# Panther rule test events by log type',
    '',
    "Each log type of Panther's rule tests (panther-analysis, Apache-2.0), the cloudcase format",
    'that recognises its test events, and how many became events or were rejected, with the',
    'rejection codes. The fixtures are often cut down to the fields one rule reads, so some lack',
    'a time and are rejected. Regenerate with `npm run table:panther`.',
    '',
    `Read by a cloudcase format: ${read.length} of ${rows.length} log types.`,
    '',
    '| log type | tests | format | events | rejected | reasons |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => {
      const reasons = Object.entries(row.reasons)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([code, count]) => `${code} ${count}`)
        .join(', ');
      const format = row.format ?? 'not recognised';
      return `| ${row.logType} | ${row.tests} | ${format} | ${row.events} | ${row.rejected} | ${reasons} |`;
    }),
    '',
  ];
  return lines.join('\n');
}
