/**
 * Row counts and digests of the findings tables of `case.duckdb` (detections, correlation hits,
 * rules, anomalies, intel sources, gap analyses and entities), which the custody ledger records
 * when a command that writes them ends and `verify` compares later.
 */
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';

/** Row count and digest of one findings table. */
export interface TableDigest {
  rows: number;
  /** SHA-256 (hex) over the table's rows; see `findingsDigests`. */
  digest: string;
}

/**
 * The findings tables and the columns each digest covers. The columns are listed rather than
 * read from the schema, so a column added later changes no digest that a ledger already records.
 * Analyst marks (`event_marks`, `saved_searches`) are left out, because they change at any
 * time from the workbench, which records them in the audit trail.
 */
export const FINDINGS_TABLES: Readonly<Record<string, readonly string[]>> = {
  detections: ['rule_id', 'event_uid', 'time', 'hit_id', 'explanation'],
  correlation_hits: ['hit_id', 'rule_id', 'first_seen', 'last_seen', 'group_by', 'event_count'],
  rules: [
    ...['id', 'title', 'level', 'description', 'tactics', 'techniques', 'tags'],
    ...['falsepositives', 'file'],
  ],
  anomalies: [
    ...['anomaly_id', 'kind', 'severity', 'identity', 'first_seen', 'last_seen', 'value'],
    ...['usual', 'baseline_from', 'baseline_to', 'baseline_events', 'details', 'explanation'],
    ...['event_uids', 'event_count'],
  ],
  ip_info: ['ip', 'scope', 'asn', 'as_org', 'country', 'city', 'latitude', 'longitude', 'cloud'],
  intel_sources: [
    ...['file', 'sha256', 'format', 'indicators', 'skipped', 'problems', 'loaded_at'],
  ],
  gap_reports: ['generated_at', 'report'],
  entities: [
    ...['type', 'value', 'kind', 'name', 'person', 'first_seen', 'last_seen', 'events'],
    'sources',
  ],
  credentials: [
    ...['access_key', 'kind', 'principal', 'first_seen', 'last_seen', 'events', 'origin_uid'],
    ...['origin_operation', 'origin_time', 'origin_actor', 'origin_key', 'origin_src'],
  ],
  created_principals: ['principal', 'origin_uid', 'origin_operation', 'origin_time'],
  rule_models: ['id', 'model', 'placeholders'],
};

/** List columns of the findings tables, which are written as JSON lists. */
const LIST_COLUMNS = new Set([
  ...['tactics', 'techniques', 'tags', 'falsepositives', 'event_uids', 'sources'],
]);

// Each value is written as `N` for NULL or `S<length>:<text>`, so the concatenation separates
// every column, as the event digests do. Writing a whole row with `to_json` made DuckDB allocate
// about ten times a value's size, so a large value, such as a long gap analysis document, could
// exceed DuckDB's memory limit. The parts are arguments of one concat(), which skips NULL
// arguments, because nested `||` calls copied every value once more.
function valueParts(name: string): string {
  const text = LIST_COLUMNS.has(name) ? `to_json("${name}")::VARCHAR` : `"${name}"::VARCHAR`;
  return `CASE WHEN "${name}" IS NULL THEN 'N' ELSE 'S' END, length(${text}), CASE WHEN "${name}" IS NOT NULL THEN ':' END, ${text}`;
}

/** SHA-256 of no rows, the digest of an empty or missing table. */
export const EMPTY_TABLE_DIGEST = createHash('sha256').digest('hex');

/**
 * Computes the row count and digest of every findings table. The digest is SHA-256 over one
 * line per row, `<row SHA-256>\n`, sorted by the row SHA-256, which covers the row's listed
 * columns as text. Sorting by the row digest makes it independent of the order rows were
 * written in, and DuckDB sorts only those narrow digests, so memory stays bounded. A table
 * the database does not have counts as empty. A table that cannot be read, such as one that
 * lost a column, raises DuckDB's error, unless `onUnreadable` is given: then it is passed there
 * and left out of the result. Tables in `known` get the digest given there, computed earlier by
 * a caller that has not written to them since.
 */
export async function findingsDigests(
  connection: DuckDBConnection,
  onUnreadable?: (table: string, error: unknown) => void,
  known: ReadonlyMap<string, TableDigest> = new Map(),
): Promise<Map<string, TableDigest>> {
  const present = await presentTables(connection);
  const digests = new Map<string, TableDigest>();
  for (const [table, columns] of Object.entries(FINDINGS_TABLES)) {
    const digest = known.get(table);
    if (digest !== undefined) {
      digests.set(table, digest);
      continue;
    }
    if (!present.has(table)) {
      digests.set(table, { rows: 0, digest: EMPTY_TABLE_DIGEST });
      continue;
    }
    try {
      digests.set(table, await tableDigest(connection, table, columns));
    } catch (error) {
      if (onUnreadable === undefined) throw error;
      onUnreadable(table, error);
    }
  }

  return digests;
}

/**
 * Sorted row digests read per query by `tableDigest`: about 4 MiB of text, so memory does not
 * grow with the table.
 */
const DIGEST_RANGE_ROWS = 65_536;

/** Length of a SHA-256 digest in hex, the width of every row digest. */
const DIGEST_HEX_LENGTH = 64;

/**
 * Computes the digest of one findings table; see `findingsDigests`. Raises DuckDB's error when
 * the table lacks one of the listed columns.
 */
async function tableDigest(
  connection: DuckDBConnection,
  table: string,
  columns: readonly string[],
): Promise<TableDigest> {
  const fields = columns.map(valueParts).join(', ');
  // The row digests are computed before the sort, so the sort holds only them, and stored in
  // sorted order, so that consecutive row ids hold consecutive digests.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE findings_row_digests AS
       SELECT sha256(concat(${fields})) AS row_digest FROM "${table}" ORDER BY row_digest`,
  );
  const digest = async (): Promise<TableDigest> => {
    const counted = await connection.runAndReadAll('SELECT count(*) FROM findings_row_digests');
    const rows = Number(counted.getRowsJS()[0]?.[0] ?? 0);
    const hash = createHash('sha256');
    // DuckDB joins a range of digests into one string: turning each digest into a JavaScript
    // string cost more than computing and sorting them. Each range is ordered again, and the
    // boundaries between ranges are checked, so the lines hashed are sorted whatever order
    // DuckDB stored the table in.
    let previous = '';
    for (let first = 0; first < rows; first += DIGEST_RANGE_ROWS) {
      const reader = await connection.runAndReadAll(
        `SELECT string_agg(row_digest, chr(10) ORDER BY row_digest) FROM findings_row_digests
         WHERE rowid >= $first AND rowid < $end`,
        { first, end: first + DIGEST_RANGE_ROWS },
      );
      const lines = String(reader.getRowsJS()[0]?.[0] ?? '');
      if (lines.slice(0, DIGEST_HEX_LENGTH) < previous) {
        throw new Error(`row digests of ${table} were not stored in sorted order`);
      }
      previous = lines.slice(-DIGEST_HEX_LENGTH);
      hash.update(`${lines}\n`);
    }

    return { rows, digest: hash.digest('hex') };
  };
  return withCleanup(digest, () => connection.run('DROP TABLE IF EXISTS findings_row_digests'));
}

async function presentTables(connection: DuckDBConnection): Promise<Set<string>> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name FROM information_schema.tables
     WHERE table_catalog = current_database() AND table_schema = 'main'
       AND table_type = 'BASE TABLE'`,
  );

  return new Set(reader.getRowsJS().map(([name]) => String(name)));
}
