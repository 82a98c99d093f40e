import type { DuckDBConnection } from '@duckdb/node-api';
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

// The same rule as `csvCell`: a text cell that a spreadsheet would run as a formula gets a
// leading apostrophe. The time and record columns are not text from the log.
function neutralized(expression: string): string {
  return `CASE WHEN regexp_matches(${expression}, '^[=+\\-@\\t\\r]') THEN '''' || ${expression} ELSE ${expression} END`;
}

/**
 * Writes every event in time order as CSV (RFC 4180 quoting, CRLF line ends) to `file`, with
 * DuckDB's COPY, which runs on DuckDB's threads and never holds the events in JavaScript.
 * `file` must be a path the program chose (it is embedded in the statement as a literal).
 */
export async function exportTimelineCsv(connection: DuckDBConnection, file: string): Promise<void> {
  const select = CSV_COLUMNS.map(([name, expression]) => {
    const text = name === 'time' || name === 'record' ? expression : neutralized(expression);
    return `${text} AS ${name}`;
  }).join(', ');
  const literal = `'${file.replace(/'/g, "''")}'`;

  await connection.run(
    `COPY (SELECT ${select} FROM events ORDER BY ${TIMELINE_ORDER}) TO ${literal}
     (FORMAT csv, HEADER true, QUOTE '"', ESCAPE '"', NEW_LINE '\\r\\n')`,
  );
}
