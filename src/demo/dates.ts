const DAY = 86_400_000;

/**
 * Parses an ISO 8601 date (`YYYY-MM-DD`) or instant and returns the UTC midnight of its day, in
 * epoch milliseconds.
 */
export function startOfDay(value: string): number {
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new RangeError(`invalid start date: ${value}; expected YYYY-MM-DD`);
  return Math.floor(ms / DAY) * DAY;
}
