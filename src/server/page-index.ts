/**
 * Deep timeline pages without deep sorts. `LIMIT … OFFSET n` makes DuckDB sort the first n
 * events of a selection again for every page; on a million events a page past the middle cost
 * about 1.5 s of CPU. The first deep page of a selection instead stores the time of every
 * position in a temporary table, once; any later page reads the times at its first and last
 * position there and sorts only the events between those two times.
 */
import { DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import { TIMELINE_ORDER } from '../store/timeline-query.ts';
import type { CaseReader, Row } from './case-reader.ts';

/** Pages that start before this offset are read with a plain top-N sort. */
export const INDEX_FROM_OFFSET = 2000;
/** Selections whose position index is kept; the least recently used one is dropped first. */
export const MAX_INDEXES = 4;

interface PositionIndex {
  table: string;
  size: number;
}

/** Position indexes of recent selections, keyed by their SQL condition and parameters. */
export class PageIndexCache {
  readonly #indexes = new Map<string, PositionIndex>();
  #next = 0;

  /**
   * Reads `limit` events from `offset` of the selection `where`, in timeline order, with the
   * columns `columns`. Builds the selection's position index on first use.
   */
  async page(
    reader: CaseReader,
    where: { sql: string; params: Record<string, DuckDBValue> },
    columns: string,
    offset: number,
    limit: number,
  ): Promise<Row[]> {
    const index = await this.#index(reader, where);
    const last = Math.min(offset + limit, index.size) - 1;
    if (offset > last) return [];

    const bounds = await reader.all(
      `SELECT epoch_us(min(time)) AS first, epoch_us(max(time)) AS last,
         (SELECT min(pos) FROM ${index.table}
          WHERE time = (SELECT time FROM ${index.table} WHERE pos = $offset)) AS first_pos
       FROM ${index.table} WHERE pos IN ($offset, $last)`,
      { offset, last },
    );
    const bound = bounds[0] as Row;
    // Events at the first page's time that come before `offset` are skipped by OFFSET: the
    // order breaks ties the same way in the index and here.
    const skip = offset - Number(bound.first_pos);
    return reader.all(
      `SELECT ${columns} FROM events
       WHERE ${where.sql} AND time BETWEEN $page_first AND $page_last
       ORDER BY ${TIMELINE_ORDER} LIMIT $limit OFFSET $skip`,
      {
        ...where.params,
        page_first: new DuckDBTimestampValue(BigInt(bound.first as bigint)),
        page_last: new DuckDBTimestampValue(BigInt(bound.last as bigint)),
        limit: last - offset + 1,
        skip,
      },
    );
  }

  /** Drops every index, for when marks change what a `tag:` or `star:` query selects. */
  async clear(reader: CaseReader): Promise<void> {
    for (const index of this.#indexes.values()) {
      await reader.all(`DROP TABLE IF EXISTS ${index.table}`);
    }
    this.#indexes.clear();
  }

  async #index(
    reader: CaseReader,
    where: { sql: string; params: Record<string, DuckDBValue> },
  ): Promise<PositionIndex> {
    const key = JSON.stringify([where.sql, where.params], (_name, value) =>
      typeof value === 'bigint' ? String(value) : value,
    );
    const existing = this.#indexes.get(key);
    if (existing !== undefined) {
      this.#indexes.delete(key);
      this.#indexes.set(key, existing);
      return existing;
    }

    // Table names are generated here, never taken from a request.
    const table = `page_index_${this.#next}`;
    this.#next += 1;
    await reader.all(
      `CREATE TEMP TABLE ${table} AS
       SELECT (row_number() OVER (ORDER BY ${TIMELINE_ORDER}) - 1)::BIGINT AS pos, time
       FROM events WHERE ${where.sql}`,
      where.params,
    );
    const [count] = await reader.all(`SELECT count(*) AS size FROM ${table}`);
    const index = { table, size: Number(count?.size ?? 0) };
    this.#indexes.set(key, index);

    if (this.#indexes.size > MAX_INDEXES) {
      const [oldestKey, oldest] = this.#indexes.entries().next().value as [string, PositionIndex];
      this.#indexes.delete(oldestKey);
      await reader.all(`DROP TABLE IF EXISTS ${oldest.table}`);
    }
    return index;
  }
}
