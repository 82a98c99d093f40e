/** Small conversions of DuckDB results used by the scope queries. */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

/** A result row with JS values, as `getRowObjectsJS` returns it. */
export type Row = Record<string, unknown>;

/** Runs a read query and returns its rows as JS values. */
export async function rows(
  connection: DuckDBConnection,
  sql: string,
  params?: Record<string, DuckDBValue>,
): Promise<Row[]> {
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getRowObjectsJS() as Row[];
}

/** Converts epoch milliseconds (a number or bigint) to ISO 8601. */
export function iso(value: unknown): string {
  return new Date(Number(value)).toISOString();
}

/** A nullable string column. */
export function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** A nullable number column. */
export function numeric(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
