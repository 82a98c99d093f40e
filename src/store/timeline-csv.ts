import { rename, rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CSV_CONTROL_RANGES, FORMULA_START, LAYOUT_CHARACTER_RANGES } from '../core/escape.ts';
import { copyInTimeOrder } from './ordered-copy.ts';
import { TIMELINE_ORDER } from './timeline-query.ts';

/** Columns of the timeline CSV, as `TIMELINE_CSV_HEADER` names them, each an SQL expression. */
const CSV_COLUMNS: readonly (readonly [string, string])[] = [
  ['time', `strftime(time, '%Y-%m-%dT%H:%M:%S.%gZ')`],
  ['source', 'source'],
  ['category', 'category'],
  ['actor_uid', 'actor_uid'],
  ['actor_type', 'actor_type'],
  ['access_key', 'actor_access_key'],
  ['src_ip', 'src_ip'],
  ['user_agent', 'user_agent'],
  ['account', 'cloud_account'],
  ['region', 'cloud_region'],
  ['service', 'api_service'],
  ['operation', 'api_operation'],
  ['status', 'status'],
  ['status_detail', 'status_detail'],
  ['message', 'message'],
  ['uid', 'uid'],
  ['evidence_sha256', 'evidence_sha256'],
  ['record', 'evidence_record'],
];

// The time and record columns are not text from the log.
const NOT_TEXT = new Set(['time', 'record']);

const re2Range = ([first, last]: readonly [number, number]): string =>
  `\\x{${first.toString(16)}}-\\x{${last.toString(16)}}`;

// The character class of the characters `csvCell` escapes, in RE2 syntax.
export const CONTROL_PATTERN = `[${[...CSV_CONTROL_RANGES, ...LAYOUT_CHARACTER_RANGES].map(re2Range).join('')}]`;

// Whether the one-character string `ch` is in one of `ranges`.
const inRanges = (ranges: readonly (readonly [number, number])[]): string =>
  ranges.map(([first, last]) => `ord(ch) BETWEEN ${first} AND ${last}`).join(' OR ');

// `expression` with each control character replaced by its `\xNN` escape (`controlEscape`)
// and each layout character by its `\u{NNNN}` escape (`layoutEscape`). DuckDB's string_split
// with an empty separator splits a string into its code points. One nested replace() per
// control character made the statement so large that DuckDB spent about 0.3 s of CPU planning
// it, once for every time slice of an export.
function escapeControls(expression: string): string {
  const mapped = `CASE WHEN ${inRanges(CSV_CONTROL_RANGES)} THEN printf('\\x%02x', ord(ch))
    WHEN ${inRanges(LAYOUT_CHARACTER_RANGES)} THEN printf('\\u{%x}', ord(ch)) ELSE ch END`;
  return `array_to_string(list_transform(string_split(${expression}, ''), lambda ch: ${mapped}), '')`;
}

// The rules of `csvCell`, so that both writers produce the same bytes: control characters become
// `\xNN` escapes, a cell whose original text a spreadsheet would run as a formula gets a leading
// apostrophe, and an empty string becomes NULL, because COPY writes '' as `""` but NULL as an
// empty cell. The escaping runs only on values that contain a control character, and a value is
// searched for one only when its row contains one (`has_control`): one search of the row's text
// costs less than one search per column.
export function csvText(expression: string): string {
  const visible = `CASE WHEN has_control AND regexp_matches(${expression}, '${CONTROL_PATTERN}') THEN ${escapeControls(expression)} ELSE ${expression} END`;
  const neutralized = `CASE WHEN regexp_matches(${expression}, '${FORMULA_START.source}') THEN '''' || (${visible}) ELSE ${visible} END`;

  return `NULLIF(${neutralized}, '')`;
}

/**
 * Writes every event in time order as CSV (RFC 4180 quoting, CRLF line ends) to `file`, with
 * DuckDB's COPY, one time slice at a time (`copyInTimeOrder`), so memory stays bounded and the
 * events never pass through JavaScript. The CSV is written beside `file` and renamed over it
 * when complete, so an older timeline is replaced only by a whole one. `file` must be a path
 * the program chose (it is embedded in the statement as a literal).
 */
export async function exportTimelineCsv(connection: DuckDBConnection, file: string): Promise<void> {
  const select = CSV_COLUMNS.map(([name, expression]) => {
    const text = NOT_TEXT.has(name) ? expression : csvText(expression);
    return `${text} AS ${name}`;
  }).join(', ');
  const texts = CSV_COLUMNS.filter(([name]) => !NOT_TEXT.has(name)).map(([, sql]) => sql);
  const copy = (where: string, header: boolean, target: string): string => {
    const flagged = `SELECT *, regexp_matches(concat(${texts.join(', ')}), '${CONTROL_PATTERN}') AS has_control FROM events WHERE ${where}`;
    return `COPY (SELECT ${select} FROM (${flagged}) ORDER BY ${TIMELINE_ORDER}) TO ${target}
     (FORMAT csv, HEADER ${header}, QUOTE '"', ESCAPE '"', NEW_LINE '\\r\\n')`;
  };

  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  await copyInTimeOrder(
    connection,
    partial,
    copy,
    CSV_COLUMNS.map(([, sql]) => sql),
  );
  await rename(partial, file);
}
