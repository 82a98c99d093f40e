/**
 * What `case.duckdb` stores of each evidence item, in a form the custody ledger can record when
 * an ingest completes and `verify` can compare later: the number of events and rejected records
 * and a SHA-256 digest of the events' content.
 */
import { createHash, type Hash } from 'node:crypto';
import { type DuckDBConnection, DuckDBListValue, type DuckDBValue } from '@duckdb/node-api';
import { checkedStream } from './checked-stream.ts';
import { hasRawKeys, hasRawParts, keyRanges, RAW_READ_RECORDS } from './raw-parts.ts';

/** Counts and digest of the rows the case database stores of one evidence item. */
export interface StoredCounts {
  /** Events of the item, on the timeline or set aside as duplicates of another file's events. */
  events: number;
  /** Records of the item that the ingest rejected. */
  rejected: number;
  /** SHA-256 (hex) over the item's events in record order; see `storedDigests`. */
  digest: string;
}

/**
 * The columns of the events table when digests were introduced, listed rather than taken from
 * EVENT_COLUMNS: a column added later changes no digest that a ledger already records.
 */
export const DIGEST_COLUMNS: readonly string[] = [
  ...['uid', 'time', 'source', 'category', 'class_uid', 'class_name', 'activity', 'status'],
  ...['status_detail', 'actor_uid', 'actor_name', 'actor_type', 'actor_session'],
  ...['actor_access_key', 'actor_mfa', 'actor_account', 'actor_invoked_by'],
  ...['src_ip', 'src_port', 'src_domain', 'src_bytes', 'src_packets'],
  ...['dst_ip', 'dst_port', 'dst_domain', 'dst_bytes', 'dst_packets', 'user_agent'],
  ...['cloud_provider', 'cloud_account', 'cloud_region', 'api_service', 'api_operation'],
  ...['api_request_id', 'api_read_only', 'resources', 'message', 'tags'],
  ...['evidence_sha256', 'evidence_member', 'evidence_record', 'evidence_offset', 'raw'],
  'metadata_uid',
];

// Each value is written as `N` for NULL or `S<length>:<text>`, so the concatenation tells every
// column apart. It is not `to_json` of the row: DuckDB allocated ten times a value's size to
// write it as JSON, and a 50 MB record then failed the 256 MB limit. The parts of every value
// are arguments of one concat(), which skips NULL arguments: nesting `||` per value copied each
// value twice and took a third of the time of hashing the rows.
const valueText = (name: string) =>
  name === 'tags' ? `to_json(${name})::VARCHAR` : `${name}::VARCHAR`;
const valueParts = (name: string) =>
  `CASE WHEN ${name} IS NULL THEN 'N' ELSE 'S' END, length(${valueText(name)}), ` +
  `CASE WHEN ${name} IS NOT NULL THEN ':' END, ${valueText(name)}`;
const ROW_DIGEST = `sha256(concat(${DIGEST_COLUMNS.map(valueParts).join(', ')}))`;

// The row text around `raw`, for rows whose raw record is stored in parts (see `raw-parts.ts`).
const RAW_AT = DIGEST_COLUMNS.indexOf('raw');
const ROW_HEAD = `concat(${DIGEST_COLUMNS.slice(0, RAW_AT).map(valueParts).join(', ')})`;
const ROW_TAIL = `concat(${DIGEST_COLUMNS.slice(RAW_AT + 1)
  .map(valueParts)
  .join(', ')})`;

/** SHA-256 of no events, the digest of an item whose records were all rejected. */
export const EMPTY_DIGEST = createHash('sha256').digest('hex');

/**
 * Computes what the case database stores of each evidence item, or only of the items in `only`.
 * The digest is SHA-256 over one line per event, `<member>\t<record>\t<row SHA-256>\n`, in
 * member and record order, where the row SHA-256 covers every column of the event.
 * Timeline events and duplicates set aside count alike, because setting a copy aside moves it
 * between the two tables without changing what the item holds. DuckDB sorts only the narrow
 * key and row digest, and each member's name once, so memory stays bounded. The digests are
 * folded while streaming.
 */
export async function storedDigests(
  connection: DuckDBConnection,
  only?: readonly string[],
): Promise<Map<string, StoredCounts>> {
  const params: Record<string, DuckDBValue> = {};
  let filter = '';
  if (only !== undefined) {
    filter = 'WHERE list_contains($only, evidence_sha256)';
    params.only = new DuckDBListValue([...only]);
  }

  const counts = new Map<string, StoredCounts>();
  await foldEventDigests(connection, filter, params, counts);
  await addRejectedCounts(connection, filter.replace('evidence_sha256', 'sha256'), params, counts);

  return counts;
}

async function foldEventDigests(
  connection: DuckDBConnection,
  filter: string,
  params: Record<string, DuckDBValue>,
  counts: Map<string, StoredCounts>,
): Promise<void> {
  await stageRowDigests(connection, filter, params);
  await digestSplitRows(connection, filter, params);
  // DuckDB writes the end of each line, names the item only on its first line, and the member
  // only on the member's first line: converting four values of every row to JavaScript cost
  // more than the sort.
  const order = 'evidence_sha256, member_rank, evidence_record';
  const lines = checkedStream(
    connection,
    `SELECT
       CASE WHEN evidence_sha256 IS DISTINCT FROM lag(evidence_sha256) OVER (ORDER BY ${order})
         THEN evidence_sha256 END,
       member_text,
       concat(chr(9), evidence_record, chr(9), row_digest, chr(10))
     FROM stored_row_digests ORDER BY ${order}`,
    undefined,
    (result) => result.yieldRowsJs(),
    'row digests of stored events',
    'SELECT 1 FROM stored_row_digests',
  );

  let item: { sha256: string; hash: Hash; events: number } | null = null;
  let member = '';
  for await (const rows of lines) {
    for (const [sha256, memberText, line] of rows) {
      if (sha256 !== null) {
        // Rows come sorted by item, so the item before this one is complete.
        if (item !== null) finishItem(item, counts);
        item = { sha256: String(sha256), hash: createHash('sha256'), events: 0 };
      }
      if (item === null) continue;
      if (memberText !== null) member = String(memberText);
      item.hash.update(member);
      item.hash.update(String(line));
      item.events += 1;
    }
  }
  if (item !== null) finishItem(item, counts);
  await connection.run('DROP TABLE stored_row_digests');
  await connection.run('DROP TABLE stored_members');
}

/**
 * Stages the row digests of the events, each with its member's rank in the order of member
 * names, and the member's name on the member's first record only. A member's name can be
 * 65,535 bytes, and DuckDB ran out of the case's 256 MB when it sorted 70,000 rows that each
 * carried a 1,500-byte name, so the sort must not carry the name on every row.
 */
async function stageRowDigests(
  connection: DuckDBConnection,
  filter: string,
  params: Record<string, DuckDBValue>,
): Promise<void> {
  const events = (columns: string) =>
    `SELECT ${columns} FROM events ${filter} UNION ALL SELECT ${columns} FROM duplicate_events ${filter}`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE stored_members AS
       SELECT evidence_sha256, evidence_member, min(evidence_record) AS first_record,
         row_number() OVER (
           PARTITION BY evidence_sha256 ORDER BY evidence_member NULLS FIRST
         ) AS member_rank
       FROM (${events('evidence_sha256, evidence_member, evidence_record')})
       GROUP BY evidence_sha256, evidence_member`,
    params,
  );
  // The row digests are staged narrow and unsorted: DuckDB's sort of the wide rows it hashes
  // ran out of its 256 MB limit on a million flow-log events, and the narrow sort spills.
  const columns = `evidence_sha256, evidence_member, evidence_record, ${ROW_DIGEST} AS row_digest`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE stored_row_digests AS
       SELECT e.evidence_sha256, m.member_rank, e.evidence_record, e.row_digest,
         CASE WHEN e.evidence_record = m.first_record
           THEN coalesce(e.evidence_member, '') END AS member_text
       FROM (${events(columns)}) e
       JOIN stored_members m ON e.evidence_sha256 = m.evidence_sha256
         AND e.evidence_member IS NOT DISTINCT FROM m.evidence_member`,
    params,
  );
}

/**
 * Replaces the staged digest of each event whose raw record is stored in parts with the digest
 * of its row with the whole raw text, the digest the ingest computed. DuckDB would need the
 * whole text in one value, so the parts are hashed here. Parts with a key are read for
 * `RAW_READ_RECORDS` records at a time; those stored before keys, one record at a time by uid.
 */
async function digestSplitRows(
  connection: DuckDBConnection,
  filter: string,
  params: Record<string, DuckDBValue>,
): Promise<void> {
  if (!(await hasRawParts(connection))) return;

  const key = (await hasRawKeys(connection)) ? 'raw_key' : 'NULL::BIGINT AS raw_key';
  const columns = `uid, raw, ${key}, evidence_sha256, evidence_member, evidence_record,
    ${ROW_HEAD} AS head, ${ROW_TAIL} AS tail`;
  const split = await connection.runAndReadAll(
    `SELECT uid, raw_key, evidence_sha256, evidence_member, evidence_record, head, tail
     FROM (SELECT ${columns} FROM events ${filter}
           UNION ALL SELECT ${columns} FROM duplicate_events ${filter})
     WHERE raw IS NULL AND (raw_key IS NOT NULL OR uid IN (SELECT uid FROM event_raw_parts))`,
    params,
  );
  const rows = split.getRowsJS();
  if (rows.length === 0) return;

  // The digests are staged and replaced in one UPDATE: one UPDATE per record scanned the staged
  // digests each time, and 10,000 such records took 43 s to verify.
  await connection.run(`CREATE OR REPLACE TEMP TABLE split_row_digests (
    evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT, row_digest VARCHAR)`);
  const appender = await connection.createAppender('split_row_digests', 'main', 'temp');
  const stage = (row: unknown[], texts: unknown[][]) => {
    const [, , sha256, member, record, head, tail] = row;
    const length = texts.reduce((sum, [, units]) => sum + Number(units), 0);
    const hash = createHash('sha256').update(String(head)).update(`S${length}:`);
    for (const [, , text] of texts) hash.update(String(text));
    appender.appendVarchar(String(sha256));
    if (member === null) appender.appendNull();
    else appender.appendVarchar(String(member));
    appender.appendBigInt(BigInt(record as bigint));
    appender.appendVarchar(hash.update(String(tail)).digest('hex'));
    appender.endRow();
  };
  try {
    const keyed = rows.filter((row) => row[1] !== null);
    for (let start = 0; start < keyed.length; start += RAW_READ_RECORDS) {
      const batch = keyed.slice(start, start + RAW_READ_RECORDS);
      const parts = await connection.runAndReadAll(
        `SELECT raw_key, length(text), text FROM event_raw_parts
         WHERE ${keyRanges(batch.map((row) => BigInt(row[1] as bigint)))}
         ORDER BY raw_key, part`,
      );
      const byKey = new Map<bigint, unknown[][]>();
      for (const part of parts.getRowsJS()) {
        const partKey = BigInt(part[0] as bigint);
        const list = byKey.get(partKey) ?? [];
        list.push(part);
        byKey.set(partKey, list);
      }
      for (const row of batch) stage(row, byKey.get(BigInt(row[1] as bigint)) ?? []);
    }
    for (const row of rows.filter((row) => row[1] === null)) {
      const parts = await connection.runAndReadAll(
        'SELECT uid, length(text), text FROM event_raw_parts WHERE uid = $uid ORDER BY part',
        { uid: String(row[0]) },
      );
      stage(row, parts.getRowsJS());
    }
  } finally {
    appender.closeSync();
  }
  await connection.run(
    `UPDATE stored_row_digests s SET row_digest = d.row_digest
     FROM temp.split_row_digests d JOIN stored_members m
       ON m.evidence_sha256 = d.evidence_sha256
       AND m.evidence_member IS NOT DISTINCT FROM d.evidence_member
     WHERE s.evidence_sha256 = d.evidence_sha256 AND s.evidence_record = d.evidence_record
       AND s.member_rank = m.member_rank`,
  );
  await connection.run('DROP TABLE temp.split_row_digests');
}

function finishItem(
  item: { sha256: string; hash: Hash; events: number },
  counts: Map<string, StoredCounts>,
): void {
  counts.set(item.sha256, { events: item.events, rejected: 0, digest: item.hash.digest('hex') });
}

/** Returns the number of rejected records of each item in `only` that has any. */
export async function rejectedCounts(
  connection: DuckDBConnection,
  only: readonly string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, StoredCounts>();
  const params = { only: new DuckDBListValue([...only]) };
  await addRejectedCounts(connection, 'WHERE list_contains($only, sha256)', params, counts);

  return new Map([...counts].map(([sha256, stored]) => [sha256, stored.rejected]));
}

async function addRejectedCounts(
  connection: DuckDBConnection,
  filter: string,
  params: Record<string, DuckDBValue>,
  counts: Map<string, StoredCounts>,
): Promise<void> {
  const reader = await connection.runAndReadAll(
    `SELECT sha256, count(*)::INTEGER FROM rejected ${filter} GROUP BY sha256`,
    params,
  );
  for (const [sha256, rejected] of reader.getRowsJS()) {
    const key = String(sha256);
    const stored = counts.get(key) ?? { events: 0, rejected: 0, digest: EMPTY_DIGEST };
    counts.set(key, { ...stored, rejected: Number(rejected) });
  }
}
