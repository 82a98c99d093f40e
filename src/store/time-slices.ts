import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { checkedStream } from './checked-stream.ts';

/**
 * A range of event times, in microseconds since the epoch: `from` inclusive, `to` exclusive, or
 * open-ended when `to` is null.
 */
export interface TimeSlice {
  from: bigint;
  to: bigint | null;
}

/** A WHERE condition over `events` with its bound parameters; `''` for every event. */
export interface EventCondition {
  where: string;
  params: Record<string, DuckDBValue>;
}

/** Share of DuckDB's memory limit that the rows of one slice may take while they are sorted. */
const SLICE_SHARE_OF_MEMORY = 8;

/**
 * Bounds on the rows of one slice: each slice costs one scan of the time column. The lower bound
 * takes effect only for rows wider than about 2 MB, so the memory share also limits wide rows.
 */
const MIN_SLICE_ROWS = 16;
const MAX_SLICE_ROWS = 200_000;

/** Rows of one slice when DuckDB's memory limit is not a size this module can read. */
const UNKNOWN_LIMIT_SLICE_ROWS = 1_000;

/** Rows whose raw records, uids and member names give the average row width. */
const WIDTH_SAMPLE_ROWS = 20_000;

/** Bytes per row added to the measured columns' lengths for the other columns of an event. */
const ROW_OVERHEAD_BYTES = 600;

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
 * Returns how many events one slice may hold so that sorting it, raw records included, takes
 * about an eighth of DuckDB's current memory limit, for rows as wide as the first ones stored.
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
 * Splits the events that match `condition` into consecutive time ranges of about `rows` events
 * each, so that a caller can sort and write one range at a time and DuckDB never sorts more
 * than one range's wide rows at once. A slice starts at the first event of its instant and ends
 * at the instant of the event `rows` places later, or at the next instant when more than `rows`
 * events share its first one. One query counts the events of each instant in time order, which
 * DuckDB can spill, and the ranges are found while its rows stream. Yields nothing when no
 * event matches.
 *
 * NOTE: each slice reads the row groups whose time range overlaps it, so a case whose files
 * were stored with interleaved times reads its table once per slice; with a small memory limit
 * this made the exports several times slower.
 */
export async function* timeSlices(
  connection: DuckDBConnection,
  condition: EventCondition,
  rows: number,
): AsyncIterable<TimeSlice> {
  // The bounds are all read before the first slice is yielded, because the caller queries the
  // same connection for each slice, which would end this query's stream.
  const bounds = await sliceBounds(connection, condition, Math.max(1, Math.floor(rows)));
  for (const [i, from] of bounds.entries()) yield { from, to: bounds[i + 1] ?? null };
}

// The start of every slice of `timeSlices`, in microseconds since the epoch.
async function sliceBounds(
  connection: DuckDBConnection,
  condition: EventCondition,
  rows: number,
): Promise<bigint[]> {
  const where = condition.where === '' ? '' : `WHERE ${condition.where}`;
  const instants = checkedStream(
    connection,
    `SELECT epoch_us(time), count(*) FROM events ${where} GROUP BY time ORDER BY time`,
    condition.params,
    (result) => result.yieldRowsJs(),
    'instants of the timeline',
  );
  const bounds: bigint[] = [];
  // Position of the first event of the current slice among the matching events in time order,
  // and of the first event of the instant being read.
  let sliceStart = 0;
  let position = 0;
  for await (const chunk of instants) {
    for (const [micros, count] of chunk) {
      // An instant starts a new slice when it contains the event `rows` places after the slice's
      // first event, or when it follows an instant that already contains that event.
      if (bounds.length === 0 || position + Number(count) > sliceStart + rows) {
        bounds.push(BigInt(micros as bigint));
        sliceStart = position;
      }
      position += Number(count);
    }
  }

  return bounds;
}

// A TIMESTAMP constant of a microsecond count: a constant lets DuckDB skip the row groups
// whose time range lies outside the slice.
function timeLiteral(micros: bigint): string {
  return `make_timestamp(${BigInt(micros).toString()})`;
}

/** Returns the SQL condition over the `time` column that selects the events of a slice. */
export function sliceCondition(slice: TimeSlice): string {
  const from = `time >= ${timeLiteral(slice.from)}`;
  return slice.to === null ? from : `${from} AND time < ${timeLiteral(slice.to)}`;
}
