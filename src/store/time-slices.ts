import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';
import { checkedStream } from './checked-stream.ts';
import { EVENT_COLUMNS } from './event-row.ts';
import { hasSplitRecords, wholeRawBytesSql } from './raw-parts.ts';

/**
 * Events of one instant from one evidence file and archive member (null for none). Their record
 * indexes run from `fromRecord` inclusive to `toRecord` exclusive, and null leaves an end open.
 */
export interface EvidencePart {
  sha256: string;
  member: string | null;
  fromRecord: number | null;
  toRecord: number | null;
}

/**
 * A range of events in timeline order, by time in microseconds since the epoch: from `from`
 * inclusive to `to` exclusive, or open-ended when `to` is null. A slice of an instant too large
 * for one slice spans that instant alone, and `part` selects the events of the slice.
 */
export interface TimeSlice {
  from: bigint;
  to: bigint | null;
  part?: EvidencePart;
}

/**
 * Limits of one slice: at most `rows` events, whose sort takes at most about `bytes` of
 * DuckDB's memory, or no byte limit when `bytes` is null. `raw` is true when the sorted rows
 * carry the raw record, whose length then counts. `columns` are the other text columns of
 * `events` that the sorted rows carry, whose lengths count too (see `columnsRead`). `rawBytes`
 * is optional SQL for the bytes of the raw record of an `events` row, such as
 * `createRawBytesTable` returns. Without it, the slicing measures the raw records itself.
 */
export interface SliceBudget {
  rows: number;
  bytes: number | null;
  raw: boolean;
  columns: readonly string[];
  rawBytes?: string;
}

/** A WHERE condition over `events` with its bound parameters; `''` for every event. */
export interface EventCondition {
  where: string;
  params: Record<string, DuckDBValue>;
}

/** Share of DuckDB's memory limit that the rows of one slice may take while they are sorted. */
const SLICE_SHARE_OF_MEMORY = 8;

/**
 * Bounds on the rows of one slice (the upper one) and of a buffer sized by `sliceRowsForMemory`
 * (both): each slice costs one scan of the time column. The lower bound takes effect only for
 * rows wider than about 2 MB.
 */
const MIN_SLICE_ROWS = 16;
const MAX_SLICE_ROWS = 200_000;

/** Rows of one slice when DuckDB's memory limit is not a size this module can read. */
const UNKNOWN_LIMIT_SLICE_ROWS = 1_000;

/** Rows whose raw records, uids and member names give the average row width. */
const WIDTH_SAMPLE_ROWS = 20_000;

/**
 * Bytes per row added to the measured columns' lengths: the fixed-width part of a sorted row,
 * which DuckDB gives each text column too, and the columns that are not measured.
 */
const ROW_OVERHEAD_BYTES = 600;

/** Bytes of an event's uid besides its archive member name: a hash prefix and record index. */
const UID_BYTES = 40;

const UNITS: Record<string, number> = {
  bytes: 1,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/** Parses DuckDB's display of a size setting, such as `244.1 MiB`, to bytes; null if unknown. */
export function parseDuckDbSize(text: string): number | null {
  const match = /^([\d.]+)\s*([a-z]+)$/i.exec(text.trim());
  const unit = UNITS[match?.[2]?.toLowerCase() ?? ''];
  if (match === null || unit === undefined) return null;

  return Number(match[1]) * unit;
}

async function firstValue(
  connection: DuckDBConnection,
  sql: string,
  params: Record<string, DuckDBValue> = {},
): Promise<unknown> {
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getRowsJS()[0]?.[0] ?? null;
}

/**
 * Returns how many events a buffer of whole rows may hold, such as a Parquet row group, so that
 * it takes about an eighth of DuckDB's current memory limit, for rows as wide as the first ones
 * stored.
 * The width counts the uid and the evidence member name too, because an archive member's name
 * can be thousands of bytes long and the uid contains it. The member name counts twice, because
 * each sort carries it once as a sort key and once in the row it writes.
 */
export async function sliceRowsForMemory(connection: DuckDBConnection): Promise<number> {
  const limit = parseDuckDbSize(
    String(await firstValue(connection, "SELECT current_setting('memory_limit')")),
  );
  // NOTE: a case whose later sources have much longer records than its first ones gets larger
  // slices than the memory share intends.
  const width = Number(
    (await firstValue(
      connection,
      `SELECT avg(strlen(raw) + strlen(uid) + 2 * coalesce(strlen(evidence_member), 0))
       FROM events WHERE rowid < ${WIDTH_SAMPLE_ROWS}`,
    )) ?? 0,
  );
  if (limit === null) return UNKNOWN_LIMIT_SLICE_ROWS;

  const rows = Math.floor(limit / SLICE_SHARE_OF_MEMORY / (width + ROW_OVERHEAD_BYTES));
  return Math.min(MAX_SLICE_ROWS, Math.max(MIN_SLICE_ROWS, rows));
}

/**
 * The estimated bytes of an event's uid, member name and fixed-width columns in a sort of the
 * timeline. The member name counts twice, as a sort key and in the row written, and the uid
 * contains it plus about 40 characters. The fixed widths add `ROW_OVERHEAD_BYTES`, and the
 * text columns of `SliceBudget.columns` are measured on their own. The member is read instead
 * of the uid because a scan keeps whole vectors of what it reads, and DuckDB stores a run of
 * equal member names once.
 */
const WIDTH_OF_MEMBER = `(3 * coalesce(strlen(evidence_member), 0) + ${UID_BYTES + ROW_OVERHEAD_BYTES})`;

// Columns whose bytes `WIDTH_OF_MEMBER` or the raw record's length count.
const MEASURED_APART = new Set(['raw', 'uid', 'evidence_member']);

/**
 * Returns the text columns of `events` that the SQL expressions `sql` name, such as the columns
 * of a COPY or the line of `writeLinesInTimeOrder`, for `SliceBudget.columns`. A name inside a
 * string constant counts too, which can only make the slices smaller. `raw`, `uid` and
 * `evidence_member` are measured apart and left out.
 */
export function columnsRead(sql: readonly string[]): string[] {
  const text = sql.join('\n');
  return EVENT_COLUMNS.filter(
    (c) =>
      /^(VARCHAR|JSON)/.test(c.sql) &&
      !MEASURED_APART.has(c.name) &&
      new RegExp(`\\b${c.name}\\b`).test(text),
  ).map((c) => c.name);
}

// SQL for the bytes of an event's text in `columns`. An aggregate of strlen keeps no value, so
// the query that measures long columns stays small. Before these lengths counted, 6,000 events
// with 33 KB of actor text each went into one sort of about 200 MB, over DuckDB's memory limit.
function columnsBytesSql(columns: readonly string[]): string {
  const lengths = columns.map((name) => {
    const type = EVENT_COLUMNS.find((c) => c.name === name)?.sql ?? '';
    return type.endsWith('[]')
      ? `coalesce(strlen(array_to_string(${name}, ',')), 0)`
      : `coalesce(strlen(${name}), 0)`;
  });
  return lengths.length === 0 ? '0' : `(${lengths.join(' + ')})`;
}

// SQL for the bytes of an event in a sort of the timeline besides its raw record.
function widthBesidesRawSql(budget: SliceBudget): string {
  return `${WIDTH_OF_MEMBER} + ${columnsBytesSql(budget.columns)}`;
}

/**
 * Returns the budget of one slice: about an eighth of DuckDB's current memory limit for the
 * sort of its events, and at most `MAX_SLICE_ROWS` events. `raw` is true when the sorted rows
 * carry the raw record, and `columns` lists the other text columns they carry (`columnsRead`).
 */
export async function sliceBudget(
  connection: DuckDBConnection,
  raw: boolean,
  columns: readonly string[],
): Promise<SliceBudget> {
  const limit = parseDuckDbSize(
    String(await firstValue(connection, "SELECT current_setting('memory_limit')")),
  );
  if (limit === null) return { rows: UNKNOWN_LIMIT_SLICE_ROWS, bytes: null, raw, columns };

  const bytes = Math.floor(limit / SLICE_SHARE_OF_MEMORY);
  return { rows: MAX_SLICE_ROWS, bytes, raw, columns };
}

/**
 * Splits the events that match `condition` into consecutive ranges in timeline order within
 * `budget`, so that a caller can sort and write one range at a time and DuckDB never sorts more
 * than one range's wide rows at once. A slice ends before the instant that would take it over
 * the budget. An instant over the budget by itself is split by evidence file, archive member
 * and record index (`splitInstant`). One query counts and measures the events of each instant
 * in time order, which DuckDB can spill, and the ranges are found while its rows stream. Yields
 * nothing when no event matches.
 *
 * NOTE: each slice reads the row groups whose time range overlaps it, so a case whose files
 * were stored with interleaved times reads its table once per slice; with a small memory limit
 * this made the exports several times slower.
 */
export async function* timeSlices(
  connection: DuckDBConnection,
  condition: EventCondition,
  budget: SliceBudget,
): AsyncIterable<TimeSlice> {
  // The bounds are all read before the first slice is yielded, because the caller queries the
  // same connection for each slice, which would end this query's stream.
  const limits = { ...budget, rows: Math.max(1, Math.floor(budget.rows)) };
  const { bounds, oversized } = await sliceBounds(connection, condition, limits);
  for (const [i, from] of bounds.entries()) {
    if (oversized.has(from)) {
      yield* await splitInstant(connection, condition, from, limits);
    } else {
      yield { from, to: bounds[i + 1] ?? null };
    }
  }
}

// Events and bytes added to a slice so far, and whether more would take it over the budget.
class SliceFill {
  rows = 0;
  bytes = 0;
  readonly #budget: SliceBudget;

  constructor(budget: SliceBudget) {
    this.#budget = budget;
  }

  overflows(rows: number, bytes: number): boolean {
    return (
      this.rows + rows > this.#budget.rows ||
      (this.#budget.bytes !== null && this.bytes + bytes > this.#budget.bytes)
    );
  }

  add(rows: number, bytes: number): void {
    this.rows += rows;
    this.bytes += bytes;
  }

  restart(): void {
    this.rows = 0;
    this.bytes = 0;
  }
}

// The first instant of every slice of `timeSlices`, and the instants over the budget by
// themselves, each of which is the only instant of its slice.
async function sliceBounds(
  connection: DuckDBConnection,
  condition: EventCondition,
  budget: SliceBudget,
): Promise<{ bounds: bigint[]; oversized: Set<bigint> }> {
  const where = condition.where === '' ? '' : `WHERE ${condition.where}`;
  const instantsSql = `SELECT time, count(*) AS n, sum(${widthBesidesRawSql(budget)}) AS bytes
    FROM events ${where} GROUP BY time`;
  if (!budget.raw) {
    return await readBounds(
      checkedStream(
        connection,
        `SELECT epoch_us(time), n, bytes FROM (${instantsSql}) ORDER BY time`,
        condition.params,
        (result) => result.yieldRowsJs(),
        'instants of the timeline',
      ),
      budget,
    );
  }
  // The raw records' lengths are summed in a scan of their own: one scan that read them with
  // the member names held vectors of both, which took more memory than a slice of them.
  const rawWidths = `slice_raw_widths_${++widthTables}`;
  const rawBytes = await rawBytesSql(connection, budget);
  const read = async () => {
    await connection.run(
      `CREATE TEMP TABLE ${rawWidths} AS
       SELECT time, sum(${rawBytes}) AS bytes FROM events ${where} GROUP BY time`,
      condition.params,
    );
    return await readBounds(
      checkedStream(
        connection,
        `SELECT epoch_us(i.time), i.n, i.bytes + r.bytes
         FROM (${instantsSql}) i JOIN temp.${rawWidths} r ON r.time = i.time ORDER BY i.time`,
        condition.params,
        (result) => result.yieldRowsJs(),
        'instants of the timeline',
      ),
      budget,
    );
  };
  return withCleanup(read, () => connection.run(`DROP TABLE IF EXISTS temp.${rawWidths}`));
}

// SQL for the bytes of an event's raw record, counting a record stored in parts whole.
async function rawBytesSql(connection: DuckDBConnection, budget: SliceBudget): Promise<string> {
  if (budget.rawBytes !== undefined) return budget.rawBytes;
  return (await hasSplitRecords(connection)) ? wholeRawBytesSql('events') : 'strlen(raw)';
}

// Numbers the temporary tables of raw record lengths, so that each has a name of its own.
let widthTables = 0;

// The bounds of `sliceBounds` from the instants in time order, each with its number of events
// and their bytes.
async function readBounds(
  instants: AsyncIterable<unknown[][]>,
  budget: SliceBudget,
): Promise<{ bounds: bigint[]; oversized: Set<bigint> }> {
  const bounds: bigint[] = [];
  const oversized = new Set<bigint>();
  const fill = new SliceFill(budget);
  for await (const chunk of instants) {
    for (const [micros, count, bytes] of chunk) {
      const time = BigInt(micros as bigint);
      const rows = Number(count);
      const width = Number(bytes ?? 0);
      if (bounds.length === 0 || fill.overflows(rows, width)) {
        bounds.push(time);
        fill.restart();
      }
      // The fill stays over the budget, so the next instant starts a slice of its own.
      if (fill.rows === 0 && fill.overflows(rows, width)) oversized.add(time);
      fill.add(rows, width);
    }
  }
  return { bounds, oversized };
}

/**
 * Returns the slices of instant `time`, which is over the budget by itself. Its events sort by
 * evidence hash, member and record index. Each hash and member gets slices of its own, split
 * by record index where the budget requires. So every slice's condition is a conjunction of
 * comparisons, which DuckDB applies while it scans. With a condition it could not push into
 * the scan, DuckDB read whole vectors of wide rows and ran out of memory. The groups are listed
 * first, so that no sort carries a member name per event. Events that share all three keys stay
 * in one slice.
 *
 * NOTE: an instant in which most events come from a distinct archive member gets as many slices
 * as events, each a scan of the instant.
 */
async function splitInstant(
  connection: DuckDBConnection,
  condition: EventCondition,
  time: bigint,
  budget: SliceBudget,
): Promise<TimeSlice[]> {
  const instant = { from: time, to: time + 1n };
  const inInstant = `${condition.where === '' ? '' : `(${condition.where}) AND `}${sliceCondition(instant)}`;
  const columnsBytes = columnsBytesSql(budget.columns);
  const groups = await connection.runAndReadAll(
    `SELECT evidence_sha256, evidence_member, count(*), sum(${columnsBytes}) FROM events
     WHERE ${inInstant} GROUP BY evidence_sha256, evidence_member
     ORDER BY evidence_sha256, evidence_member NULLS FIRST`,
    condition.params,
  );
  const recordBytes = budget.raw
    ? `${await rawBytesSql(connection, budget)} + ${columnsBytes}`
    : columnsBytes;
  const slices: TimeSlice[] = [];
  const fill = new SliceFill(budget);
  for (const [sha256, member, count, bytes] of groups.getRowsJS()) {
    const group = { sha256: String(sha256), member: member === null ? null : String(member) };
    // WIDTH_OF_MEMBER of the group's events, which share their member name.
    const ofMember =
      3 * (group.member === null ? 0 : Buffer.byteLength(group.member)) +
      UID_BYTES +
      ROW_OVERHEAD_BYTES;
    const whole = { ...instant, part: { ...group, fromRecord: null, toRecord: null } };
    const groupBytes = Number(count) * ofMember + Number(bytes ?? 0);
    fill.restart();
    if (!budget.raw && !fill.overflows(Number(count), groupBytes)) {
      slices.push(whole);
      continue;
    }

    // Cut the group where the record index changes.
    const records = await connection.runAndReadAll(
      `SELECT evidence_record, count(*), sum(${recordBytes}) FROM events
       WHERE ${sliceCondition(whole)} AND (${condition.where || 'true'})
       GROUP BY evidence_record ORDER BY evidence_record`,
      condition.params,
    );
    let fromRecord: number | null = null;
    for (const [record, recordCount, recordWidth] of records.getRowsJS()) {
      const rows = Number(recordCount);
      const width = Number(recordWidth ?? 0) + rows * ofMember;
      if (fill.rows > 0 && fill.overflows(rows, width)) {
        const toRecord = Number(record);
        slices.push({ ...instant, part: { ...group, fromRecord, toRecord } });
        fromRecord = toRecord;
        fill.restart();
      }
      fill.add(rows, width);
    }
    slices.push({ ...instant, part: { ...group, fromRecord, toRecord: null } });
  }
  return slices;
}

// A TIMESTAMP constant of a microsecond count: a constant lets DuckDB skip the row groups
// whose time range lies outside the slice.
function timeLiteral(micros: bigint): string {
  return `make_timestamp(${BigInt(micros).toString()})`;
}

// A VARCHAR constant of any text, written in hexadecimal so that no character of a member name
// (quotes, NUL) can change the statement.
function textLiteral(text: string): string {
  return `decode(from_hex('${Buffer.from(text, 'utf8').toString('hex')}'))`;
}

/** Returns the SQL condition that selects the events of a slice. */
export function sliceCondition(slice: TimeSlice): string {
  const parts = [`time >= ${timeLiteral(slice.from)}`];
  if (slice.to !== null) parts.push(`time < ${timeLiteral(slice.to)}`);
  const part = slice.part;
  if (part !== undefined) {
    parts.push(`evidence_sha256 = ${textLiteral(part.sha256)}`);
    parts.push(
      part.member === null
        ? 'evidence_member IS NULL'
        : `evidence_member = ${textLiteral(part.member)}`,
    );
    if (part.fromRecord !== null) parts.push(`evidence_record >= ${part.fromRecord}`);
    if (part.toRecord !== null) parts.push(`evidence_record < ${part.toRecord}`);
  }
  return parts.join(' AND ');
}
