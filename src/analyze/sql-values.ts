/** Conversions of DuckDB query results into the plain values the detection types use. */

/** Converts an epoch-millisecond value (a DuckDB BIGINT arrives as a bigint) to ISO 8601. */
export function isoFromEpochMs(value: unknown): string {
  return new Date(Number(value)).toISOString();
}

/** Converts a DuckDB `VARCHAR[]` result to a string array. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map((item) => String(item)) : [];
}

/**
 * The key that `arg_min` and `arg_max` order events by: time, then uid, so that events at the
 * same instant give the same first and last event in every run.
 */
export const TIME_THEN_UID = `{'time': time, 'uid': uid}`;
