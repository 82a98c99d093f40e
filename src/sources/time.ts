// Date, time, optional fraction, optional zone: ISO 8601 / RFC 3339, or with a space between
// date and time as `aws cloudtrail lookup-events` prints it.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?$/i;
// Ten digits or more: epoch seconds from September 2001 on, or milliseconds; a shorter digit
// string, such as a bare year, is not taken for a time.
const EPOCH_DIGITS = /^\d{10,16}$/;
const MAX_TIMESTAMP_CHARS = 40;
// UTC offsets in use range from -12:00 to +14:00, so ±14:00 bounds any real zone.
const MAX_OFFSET_MINUTES = 14 * 60;

/**
 * Parses a log timestamp to UTC ISO 8601 with milliseconds. Accepts RFC 3339 text (a missing zone
 * means UTC, as in CloudTrail Lake), and epoch seconds or milliseconds as numbers or digit-only
 * strings. Negative epoch numbers are rejected, because CloudTrail records no time before 1970.
 * Returns `null` when the value is no valid instant.
 */
export function parseTimestamp(value: unknown): string | null {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string' || value.length > MAX_TIMESTAMP_CHARS) return null;

  const trimmed = value.trim();
  const plain = fromPlainUtc(trimmed);
  if (plain !== null) return plain;
  if (EPOCH_DIGITS.test(trimmed)) return fromEpoch(Number(trimmed));

  return fromIsoText(trimmed);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Converts the form every CloudTrail log file uses, `YYYY-MM-DDTHH:MM:SSZ`, without the regex
 * and Date round trip of `fromIsoText`, which cost about 1 s per 200,000 records in profiles.
 * Returns `null` for any other text, and for a value out of range (such as a leap second),
 * which `fromIsoText` then decides.
 */
function fromPlainUtc(text: string): string | null {
  if (text.length !== 20 || text[19] !== 'Z' || text[10] !== 'T') return null;
  if (text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return null;

  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return null;
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;

  return `${text.slice(0, 19)}.000Z`;
}

// The decimal value of `length` ASCII digits at `start`, or -1 when one is not a digit.
function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

// Days of a month in the proleptic Gregorian calendar, which JavaScript's Date also uses.
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

function fromIsoText(text: string): string | null {
  const match = TIMESTAMP.exec(text);
  if (match === null) return null;

  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as number[];
  const [y, mo, d, h, mi, s] = fields as [number, number, number, number, number, number];
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const offset = zoneOffsetMinutes(zone);
  if (offset === null) return null;

  // Date.UTC maps years 0-99 to 1900-1999, but setUTCFullYear keeps them.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);

  // The setters roll over out-of-range fields (month 13, day 32), and a round trip detects that.
  // A leap second (second 60) is accepted and rolls over into the next minute.
  const rolledOver =
    date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d;
  if (rolledOver || h > 23 || mi > 59 || s > 60) return null;

  const utc = new Date(date.getTime() - offset * 60_000);
  if (Number.isNaN(utc.getTime())) return null;

  return utc.toISOString();
}

/** Returns the zone offset east of UTC in minutes, or `null` for an impossible offset. */
function zoneOffsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;

  const digits = zone.replace(':', '');
  const sign = digits.startsWith('-') ? -1 : 1;
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));
  const total = hours * 60 + minutes;
  if (minutes >= 60 || total > MAX_OFFSET_MINUTES) return null;

  return sign * total;
}

// Numbers above 1e11 are taken as milliseconds: as seconds they would be past the year 5000.
function fromEpoch(value: number): string | null {
  if (!Number.isFinite(value) || value < 0) return null;

  const ms = value > 1e11 ? value : value * 1000;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return null;

  return date.toISOString();
}
