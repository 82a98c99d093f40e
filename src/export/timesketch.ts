import type { DuckDBConnection } from '@duckdb/node-api';
import type { CaseDb } from '../store/case-db.ts';
import { copyInTimeOrder, writeLinesInTimeOrder } from '../store/ordered-copy.ts';
import { parseDuckDbSize } from '../store/time-slices.ts';
import { CONTROL_PATTERN, csvText } from '../store/timeline-csv.ts';
import { TIMELINE_ORDER } from '../store/timeline-query.ts';
import { type JsonField, jsonObjectSql, toJsonMaxBytes } from './json-sql.ts';

/** Timesketch's `timestamp_desc` for each source whose event time is not the API call time. */
const TIME_DESCRIPTIONS: Record<string, string> = {
  'aws.vpcflow': 'Flow Window End',
  'gcp.vpcflow': 'Flow Window End',
  'aws.guardduty': 'Finding First Seen',
};

/** Timesketch's `timestamp_desc` of an event: what its time means. */
export function timestampDescription(source: string): string {
  return TIME_DESCRIPTIONS[source] ?? 'Event Time';
}

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

const descriptionSql = (): string =>
  `CASE ${Object.entries(TIME_DESCRIPTIONS)
    .map(([source, text]) => `WHEN source = ${quote(source)} THEN ${quote(text)}`)
    .join(' ')} ELSE 'Event Time' END`;

/**
 * A column of a Timesketch row. `text` marks values that come from the log, which the CSV
 * escapes. `literal` marks integers and booleans, whose SQL text is already their JSON.
 */
interface Column {
  name: string;
  sql: string;
  text: boolean;
  literal?: true;
}

const logText = (name: string): Column => ({ name, sql: name, text: true });
const ownValue = (name: string): Column => ({ name, sql: name, text: false });
const ownLiteral = (name: string): Column => ({ name, sql: name, text: false, literal: true });

/**
 * Columns of a Timesketch row, each an SQL expression over the `events` table. The three that
 * Timesketch requires (`message`, `datetime`, `timestamp_desc`) come first, then `timestamp`
 * in microseconds since the epoch, then the normalized event fields under their column names.
 */
const COLUMNS: readonly Column[] = [
  logText('message'),
  { name: 'datetime', sql: `strftime(time, '%Y-%m-%dT%H:%M:%S.%gZ')`, text: false },
  { name: 'timestamp_desc', sql: descriptionSql(), text: false },
  { name: 'timestamp', sql: 'epoch_us(time)', text: false, literal: true },
  logText('uid'),
  // Format ids, OCSF names and numbers that the parsers set, never text from the log.
  ...['source', 'category', 'class_name', 'activity', 'status'].map(ownValue),
  ...['status_detail', 'actor_uid', 'actor_name', 'actor_type'].map(logText),
  ...['actor_session', 'actor_access_key'].map(logText),
  ownLiteral('actor_mfa'),
  ...['actor_account', 'src_ip'].map(logText),
  ownLiteral('src_port'),
  ...['src_domain', 'dst_ip'].map(logText),
  ownLiteral('dst_port'),
  ...['dst_domain', 'user_agent'].map(logText),
  ownValue('cloud_provider'),
  ...['cloud_account', 'cloud_region', 'api_service', 'api_operation'].map(logText),
  logText('api_request_id'),
  {
    name: 'resources',
    sql: `array_to_string(list_transform(from_json(resources, '[{"uid":"VARCHAR"}]'), r -> r.uid), ', ')`,
    text: true,
  },
  { name: 'event_tags', sql: `array_to_string(tags, ', ')`, text: true },
  ownValue('evidence_sha256'),
  logText('evidence_member'),
  ownLiteral('evidence_record'),
];

/** Column names of the Timesketch CSV, in order; the JSON Lines add `raw`. */
export const TIMESKETCH_CSV_HEADER: readonly string[] = COLUMNS.map((c) => c.name);

/** Export formats of the timeline for Timesketch. */
export type TimesketchFormat = 'jsonl' | 'csv';

/**
 * Fields of a Timesketch JSON line: the CSV's columns and `raw`. The original record goes along
 * as JSON text: as an object, records of different sources would give one field name different
 * types in Timesketch's index.
 */
export const TIMESKETCH_JSON_FIELDS: readonly JsonField[] = [
  ...COLUMNS.map(
    (c): JsonField => ({ name: c.name, sql: c.sql, kind: c.literal ? 'literal' : 'text' }),
  ),
  { name: 'raw', sql: 'raw', kind: 'text' },
];

// The SQL of a Timesketch JSON line, with `to_json` kept to rows that DuckDB's memory limit and
// thread count on `connection` allow (`toJsonMaxBytes`).
async function jsonLineSql(connection: DuckDBConnection): Promise<string> {
  const reader = await connection.runAndReadAll(
    "SELECT current_setting('memory_limit'), current_setting('threads')",
  );
  const [limit, threads] = reader.getRowsJS()[0] ?? [];
  const maxBytes = toJsonMaxBytes(parseDuckDbSize(String(limit)), Number(threads));
  return jsonObjectSql(TIMESKETCH_JSON_FIELDS, maxBytes);
}

// Text cells get the escaping of the timeline CSV (`csvText`): control characters become
// `\xNN`, and a cell a spreadsheet would run as a formula gets a leading apostrophe.
function csvCopy(where: string, header: boolean, literal: string): string {
  const select = COLUMNS.map((c) => `${c.text ? csvText(c.sql) : c.sql} AS ${c.name}`).join(', ');
  const texts = COLUMNS.filter((c) => c.text).map((c) => `coalesce(${c.sql}, '')`);
  const flagged = `SELECT *, regexp_matches(concat(${texts.join(', ')}), '${CONTROL_PATTERN}') AS has_control FROM events WHERE ${where}`;

  return `COPY (SELECT ${select} FROM (${flagged}) ORDER BY ${TIMELINE_ORDER}) TO ${literal}
    (FORMAT csv, HEADER ${header}, QUOTE '"', ESCAPE '"', NEW_LINE '\\r\\n')`;
}

/**
 * Writes the case's timeline, in time order, to `file` as Timesketch JSON Lines or CSV, one time
 * slice at a time, so memory stays bounded at any case size. DuckDB builds each JSON line
 * (`writeLinesInTimeOrder`) or writes the CSV with COPY (`copyInTimeOrder`), whose file name is
 * embedded in the statement as a literal, so `file` must be a path the program chose. Returns
 * the number of events written.
 */
export async function exportTimesketch(
  db: CaseDb,
  format: TimesketchFormat,
  file: string,
): Promise<number> {
  const connection = await db.connect();
  try {
    return format === 'jsonl'
      ? await writeLinesInTimeOrder(connection, file, await jsonLineSql(connection))
      : await copyInTimeOrder(
          connection,
          file,
          csvCopy,
          COLUMNS.map((c) => c.sql),
        );
  } finally {
    connection.closeSync();
  }
}
