// Date, time, optional fraction, optional zone: ISO 8601 / RFC 3339, or with a space between
// date and time as `aws cloudtrail lookup-events` prints it.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?$/i;
const MAX_TIMESTAMP_CHARS = 40;

/**
 * Parses a log timestamp to UTC ISO 8601 with milliseconds. Accepts RFC 3339 text (a missing zone
 * means UTC, as in CloudTrail Lake), and epoch seconds or milliseconds as numbers.
 * Returns `null` when the value is no valid instant.
 */
export function parseTimestamp(value: unknown): string | null {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string' || value.length > MAX_TIMESTAMP_CHARS) return null;

  const match = TIMESTAMP.exec(value.trim());
  if (match === null) return null;

  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as number[];
  const [y, mo, d, h, mi, s] = fields as [number, number, number, number, number, number];
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);

  // Date.UTC rolls over out-of-range fields (month 13, day 32); a round trip detects that.
  const check = new Date(utc);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 60) {
    return null;
  }

  return fromEpoch(utc - zoneOffsetMs(zone));
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;

  const digits = zone.replace(':', '');
  const sign = digits.startsWith('-') ? -1 : 1;
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));

  return sign * (hours * 60 + minutes) * 60_000;
}

// Numbers above 1e11 are taken as milliseconds: as seconds they would be past the year 5000.
function fromEpoch(value: number): string | null {
  if (!Number.isFinite(value)) return null;

  const ms = Math.abs(value) > 1e11 ? value : value * 1000;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return null;

  return date.toISOString();
}
