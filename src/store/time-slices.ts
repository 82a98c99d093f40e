import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

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

/** Bounds on the rows of one slice: each slice costs one scan of the time column. */
const MIN_SLICE_ROWS = 1_000;
const MAX_SLICE_ROWS = 200_000;

/** Rows whose raw records give the average row width. */
const WIDTH_SAMPLE_ROWS = 20_000;

/** Bytes per row added to the raw record's length for the other columns of an event. */
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
      `SELECT avg(strlen(raw)) FROM events WHERE rowid < ${WIDTH_SAMPLE_ROWS}`,
    )) ?? 0,
  );
  if (limit === null) return MIN_SLICE_ROWS;

  const rows = Math.floor(limit / SLICE_SHARE_OF_MEMORY / (width + ROW_OVERHEAD_BYTES));
  return Math.min(MAX_SLICE_ROWS, Math.max(MIN_SLICE_ROWS, rows));
}

function and(condition: EventCondition, clause: string): string {
  return condition.where === '' ? `WHERE ${clause}` : `WHERE (${condition.where}) AND ${clause}`;
}

/**
 * Splits the events that match `condition` into consecutive time ranges of about `rows` events
 * each, so that a caller can sort and write one range at a time and DuckDB never sorts more
 * than one range's wide rows at once. Each boundary is found by a top-N query over the time
 * column alone, whose memory is bounded by `rows` timestamps. Yields nothing when no event
 * matches.
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
  const first = await firstValue(
    connection,
    `SELECT epoch_us(min(time)) FROM events ${condition.where === '' ? '' : `WHERE ${condition.where}`}`,
    condition.params,
  );
  if (first === null) return;

  let from = BigInt(first as bigint);
  for (;;) {
    let to = (await firstValue(
      connection,
      `SELECT epoch_us(time) FROM events ${and(condition, `time >= ${timeLiteral(from)}`)}
       ORDER BY time LIMIT 1 OFFSET ${Math.floor(rows)}`,
      condition.params,
    )) as bigint | null;
    // More than `rows` events share the instant `from`: the slice takes all of them.
    // NOTE: such a slice is not bounded by `rows`; it needs as many events at one microsecond.
    if (to !== null && BigInt(to) === from) {
      to = (await firstValue(
        connection,
        `SELECT epoch_us(min(time)) FROM events ${and(condition, `time > ${timeLiteral(from)}`)}`,
        condition.params,
      )) as bigint | null;
    }

    if (to === null) {
      yield { from, to: null };
      return;
    }
    yield { from, to: BigInt(to) };
    from = BigInt(to);
  }
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
