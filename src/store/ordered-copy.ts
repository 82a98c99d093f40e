import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { DuckDBBlobVector, type DuckDBConnection, type DuckDBResult } from '@duckdb/node-api';
import { checkedStream } from './checked-stream.ts';
import { createRawBytesTable, hasSplitRecords, selectedEventsWithWholeRaw } from './raw-parts.ts';
import { escapeJsonText, largeRecordKeys, RawPlaceholder, rawPartTexts } from './streamed-raw.ts';
import {
  columnsRead,
  type SliceBudget,
  sliceBudget,
  sliceCondition,
  type TimeSlice,
  timeSlices,
} from './time-slices.ts';
import { TIMELINE_ORDER } from './timeline-query.ts';

// The columns of TIMELINE_ORDER.
const SORT_KEYS = 'time, evidence_sha256, evidence_member, evidence_record';

/**
 * Builds a COPY statement that writes the events matching `where` (an SQL condition) in time
 * order to the file literal `target`, with a header row only when `header` is true.
 */
export type SliceCopy = (where: string, header: boolean, target: string) => string;

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

async function createOutput(file: string): Promise<WriteStream> {
  const output = createWriteStream(file, { flags: 'wx' });
  await new Promise<void>((resolve, reject) => {
    output.once('open', () => resolve());
    output.once('error', reject);
  });

  return output;
}

async function write(output: WriteStream, chunk: string | Buffer): Promise<void> {
  if (!output.write(chunk)) await once(output, 'drain');
}

// A case without events gets one empty slice, so a CSV still gets its header. `raw` is true
// when the sorted rows carry the raw record, and `sql` names the other columns they carry.
// `byteShare` is the part of a slice's byte budget that these slices get.
async function* slicesOrEmpty(
  connection: DuckDBConnection,
  raw: boolean,
  sql: readonly string[],
  byteShare = 1,
): AsyncIterable<TimeSlice> {
  yield* slicesWithin(connection, await budgetOf(connection, raw, sql, byteShare));
}

async function budgetOf(
  connection: DuckDBConnection,
  raw: boolean,
  sql: readonly string[],
  byteShare: number,
): Promise<SliceBudget> {
  const budget = await sliceBudget(connection, raw, columnsRead(sql));
  if (budget.bytes !== null) budget.bytes = Math.floor(budget.bytes * byteShare);
  return budget;
}

async function* slicesWithin(
  connection: DuckDBConnection,
  budget: SliceBudget,
): AsyncIterable<TimeSlice> {
  let any = false;
  for await (const slice of timeSlices(connection, { where: '', params: {} }, budget)) {
    any = true;
    yield slice;
  }
  if (!any) yield { from: 0n, to: 0n };
}

/**
 * Part of a slice's byte budget that a slice of lines gets. DuckDB builds each line from the
 * columns it reads before the sort, so a slice's text is in memory about twice. A JSON Lines
 * export of 6,000 CloudTrail events with lines of 50 KB peaked at 0.85 to 1.03 GB RSS with
 * whole budgets, and at 0.82 to 0.85 GB with half budgets.
 */
const LINE_BYTE_SHARE = 0.5;

const NEWLINE = Buffer.from('\n');

// The UTF-8 bytes of the lines of `result`, a BLOB column, one chunk at a time, which go to the
// file as they are. Lines read as strings, decoded and encoded again, made the same export
// peak at 1.24 to 1.58 GB RSS.
async function* lineBytes(result: DuckDBResult): AsyncIterable<Uint8Array[]> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) return;
    const vector = chunk.getColumnVector(0);
    if (!(vector instanceof DuckDBBlobVector)) throw new TypeError('lines must be a BLOB column');
    const lines: Uint8Array[] = [];
    for (let i = 0; i < chunk.rowCount; i++) lines.push(vector.getItemBytes(i) ?? new Uint8Array());
    yield lines;
  }
}

/**
 * Writes one line per event, in time order, to `file`, which must not exist yet (`EEXIST`
 * otherwise). `lineSql` is an SQL expression over `events` that gives the line's text, such as
 * a JSON object from `jsonObjectSql`, and must write `raw` only as a JSON string value. DuckDB
 * computes the line before it sorts, so the sort of each time slice carries the sort keys and
 * one text column instead of every column of the event. DuckDB's sort and COPY keep blocks per
 * column and thread, and for the wide event row those blocks took more memory than the rows
 * themselves. The slices are sized for lines that contain the raw record and the columns that
 * `lineSql` names. `raw` is each event's whole raw record: the parts of the records stored in
 * parts are put together for one slice at a time (`selectedEventsWithWholeRaw`), except those
 * larger than a slice's byte budget, which are written from their parts (`writeLargeRecords`).
 * Returns the number of lines written.
 */
export async function writeLinesInTimeOrder(
  connection: DuckDBConnection,
  file: string,
  lineSql: string,
): Promise<number> {
  const output = await createOutput(file);
  const split = await hasSplitRecords(connection);
  const budget = await budgetOf(connection, true, [lineSql], LINE_BYTE_SHARE);
  const placeholder = new RawPlaceholder();
  let written = 0;
  try {
    // The slicing reads the lengths of the records stored in parts from a table built in ranges
    // of parts. A subquery that summed each event's parts ran out of a 24 MB limit over records
    // of 8 MB.
    if (split)
      budget.rawBytes = await createRawBytesTable(connection, RAW_BYTES_TABLE, budget.bytes);
    for await (const slice of slicesWithin(connection, budget)) {
      const where = sliceCondition(slice);
      const large =
        split && budget.bytes !== null
          ? await largeRecordKeys(connection, where, budget.bytes)
          : [];
      const events = split
        ? await selectedEventsWithWholeRaw(connection, where, {
            keys: large,
            placeholder: (row) => placeholder.sql(row),
          })
        : `(SELECT * FROM events WHERE ${where})`;
      const lines = checkedStream(
        connection,
        `SELECT encode(line) FROM (SELECT ${SORT_KEYS}, ${lineSql} AS line FROM ${events} events)
         ORDER BY ${TIMELINE_ORDER}`,
        undefined,
        lineBytes,
        'timeline lines',
        `SELECT 1 FROM events WHERE ${where}`,
      );
      if (large.length > 0) {
        written += await writeLargeRecords(connection, output, lines, placeholder);
        continue;
      }
      for await (const chunk of lines) {
        await write(output, Buffer.concat(chunk.flatMap((line) => [line, NEWLINE])));
        written += chunk.length;
      }
    }
    output.end();
    await finished(output);
  } catch (error) {
    output.destroy();
    throw error;
  } finally {
    if (split) await connection.run(`DROP TABLE IF EXISTS temp.${RAW_BYTES_TABLE}`);
  }

  return written;
}

// The temporary table of the bytes of the records stored in parts (`createRawBytesTable`).
const RAW_BYTES_TABLE = 'line_raw_bytes';

/**
 * Writes the `lines` of a slice in which some raw records are placeholders, each replaced by
 * its record's parts, JSON-escaped one part at a time. The slice's lines are read first, because
 * reading the parts on the same connection would end their stream. They are small, since the
 * slice's budget counts each large record whole. Returns the number of lines written.
 */
async function writeLargeRecords(
  connection: DuckDBConnection,
  output: WriteStream,
  lines: AsyncIterable<Uint8Array[]>,
  placeholder: RawPlaceholder,
): Promise<number> {
  const all: Uint8Array[] = [];
  for await (const chunk of lines) all.push(...chunk);
  for (const line of all) {
    const found = placeholder.find(line);
    if (found === null) {
      await write(output, Buffer.concat([line, NEWLINE]));
      continue;
    }
    await write(output, found.before);
    for await (const text of rawPartTexts(connection, found.key)) {
      await write(output, escapeJsonText(text));
    }
    await write(output, Buffer.concat([found.after, NEWLINE]));
  }
  return all.length;
}

/**
 * Writes every event in time order to `file` with DuckDB's COPY, one time slice at a time (see
 * `timeSlices`), so DuckDB sorts at most one slice of wide rows at once and memory stays
 * bounded at any case size. Each slice goes to a part file in a temporary folder beside
 * `file` and is appended to `file`, which must not exist yet (`EEXIST` otherwise). The slices
 * are sized for rows without the raw record, with the columns that the SQL expressions
 * `columns` name. Returns the number of rows written.
 */
export async function copyInTimeOrder(
  connection: DuckDBConnection,
  file: string,
  copy: SliceCopy,
  columns: readonly string[],
): Promise<number> {
  const output = await createOutput(file);
  const parts = await mkdtemp(path.join(path.dirname(file), '.cloudcase-copy-'));
  const target = quote(path.join(parts, 'slice'));
  let written = 0;
  let header = true;

  try {
    for await (const slice of slicesOrEmpty(connection, false, columns)) {
      const reader = await connection.runAndReadAll(copy(sliceCondition(slice), header, target));
      header = false;
      written += Number(reader.getRowsJS()[0]?.[0] ?? 0);
      for await (const chunk of createReadStream(path.join(parts, 'slice'))) {
        await write(output, chunk as Buffer);
      }
    }
    output.end();
    await finished(output);
  } catch (error) {
    output.destroy();
    throw error;
  } finally {
    await rm(parts, { recursive: true, force: true });
  }

  return written;
}
