/**
 * Events normalized again from their stored raw records. A column keeps at most 16,384 code
 * units of a value and `resources` keeps only the resources that fit, so a check that needs
 * such a value whole reads it from the raw record, for the few events whose column was cut.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Event, EvidenceRef } from '../core/event.ts';
import { formatOfSource } from '../sources/index.ts';
import { isNormalizeError } from '../sources/types.ts';
import {
  hasRawKeys,
  hasRawParts,
  keyRanges,
  RAW_READ_RECORDS,
  readRawTexts,
} from '../store/raw-parts.ts';

/**
 * Code units of a record stored whole that a batch reads with the others. A case made before
 * records were stored in parts holds whole records of up to 64 MiB, which are read one at a time.
 */
const BATCH_RAW_UNITS = 65_536;

/**
 * Normalizes again, with the format of its `source`, the raw record of each event whose rowid
 * is in the `event_row` column of the temporary table `rowsTable`, and passes the event to
 * `visit` in rowid order. Reads `RAW_READ_RECORDS` records at a time, so only one batch of
 * records is in memory, not the whole selection. Skips a record that no longer parses or normalizes.
 *
 * NOTE: an event whose format stored a record other than the one it read (an envelope's inner
 * record, for one) may normalize differently or not at all.
 */
export async function renormalizeEvents(
  connection: DuckDBConnection,
  rowsTable: string,
  visit: (event: Event) => void | Promise<void>,
): Promise<void> {
  const keyed = await hasRawKeys(connection);
  const partsTable = await hasRawParts(connection);
  let last = -1n;
  for (;;) {
    const page = await connection.runAndReadAll(
      `SELECT event_row FROM ${rowsTable} WHERE event_row > ${last}
       ORDER BY event_row LIMIT ${RAW_READ_RECORDS}`,
    );
    const rows = page.getRowsJS().map(([row]) => BigInt(row as bigint));
    if (rows.length === 0) return;
    last = rows.at(-1) ?? last;

    const events = await connection.runAndReadAll(
      `SELECT uid, source, evidence_sha256, evidence_member, evidence_record, evidence_offset,
         CASE WHEN strlen(raw) <= ${BATCH_RAW_UNITS} THEN raw END AS raw, raw IS NULL AS split,
         ${keyed ? 'raw_key' : 'NULL AS raw_key'}, rowid AS event_row
       FROM events WHERE ${keyRanges(rows, 'rowid')} ORDER BY rowid`,
    );
    const batch = events.getRowObjectsJS();
    const refs = batch
      .filter((row) => row.split === true)
      .map((row) => ({
        uid: String(row.uid),
        key: row.raw_key === null ? null : BigInt(row.raw_key as bigint),
      }));
    const texts = await readRawTexts(connection, refs, partsTable);
    for (const row of batch) {
      const uid = String(row.uid);
      const text =
        row.split === true
          ? texts.get(uid)
          : (row.raw ?? (await wholeRaw(connection, BigInt(row.event_row as bigint))));
      const event = text === undefined ? null : normalized(row, String(text));
      if (event !== null) await visit(event);
    }
  }
}

async function wholeRaw(connection: DuckDBConnection, row: bigint): Promise<string | undefined> {
  const reader = await connection.runAndReadAll(`SELECT raw FROM events WHERE rowid = ${row}`);
  const raw = reader.getRowsJS()[0]?.[0];
  return raw === null || raw === undefined ? undefined : String(raw);
}

function normalized(row: Record<string, unknown>, text: string): Event | null {
  const format = formatOfSource(String(row.source));
  if (format === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const ref: EvidenceRef = {
    sha256: String(row.evidence_sha256),
    member: row.evidence_member === null ? null : String(row.evidence_member),
    record: Number(row.evidence_record),
    offset: Number(row.evidence_offset),
  };
  const event = format.normalize(value, ref);
  return isNormalizeError(event) ? null : event;
}
