import { describe, expect, it } from 'vitest';
import { parseTimestamp } from './time.ts';

const VALID: [input: unknown, expected: string][] = [
  // ISO text near the epoch keeps its instant.
  ['1969-12-31T23:00:00Z', '1969-12-31T23:00:00.000Z'],
  ['1970-01-01T00:00:01Z', '1970-01-01T00:00:01.000Z'],
  ['1970-01-02T00:00:00Z', '1970-01-02T00:00:00.000Z'],
  ['1971-01-01T00:00:00Z', '1971-01-01T00:00:00.000Z'],
  // Years 0000-0099 keep their year.
  ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z'],
  ['0099-12-31T23:59:59Z', '0099-12-31T23:59:59.000Z'],
  // CloudTrail log file, lookup-events and CloudTrail Lake (no zone) forms.
  ['2022-02-08T09:23:37Z', '2022-02-08T09:23:37.000Z'],
  ['2022-02-08 09:23:37+11:00', '2022-02-07T22:23:37.000Z'],
  ['2022-02-08 09:23:37', '2022-02-08T09:23:37.000Z'],
  ['2022-02-08T09:23:37.123456Z', '2022-02-08T09:23:37.123Z'],
  ['2022-02-08T09:23:37-0530', '2022-02-08T14:53:37.000Z'],
  ['2022-02-08T09:23:37+14:00', '2022-02-07T19:23:37.000Z'],
  ['2022-02-08T09:23:37-14:00', '2022-02-08T23:23:37.000Z'],
  // Epoch numbers and digit-only strings, in seconds or milliseconds.
  [0, '1970-01-01T00:00:00.000Z'],
  [1644312217, '2022-02-08T09:23:37.000Z'],
  [1644312217123, '2022-02-08T09:23:37.123Z'],
  ['1644312217', '2022-02-08T09:23:37.000Z'],
  ['1644312217123', '2022-02-08T09:23:37.123Z'],
];

const INVALID: unknown[] = [
  '2022-02-08T09:23:37+99:00',
  '2022-02-08T09:23:37+14:30',
  '2022-02-08T09:23:37-15:00',
  '2022-02-08T09:23:37+05:60',
  '2022-13-01T00:00:00Z',
  '2022-02-30T00:00:00Z',
  '2022-02-08T24:00:00Z',
  -1,
  -1644312217,
  '-1',
  Number.NaN,
  Number.POSITIVE_INFINITY,
  'yesterday',
  '2022',
  '123456789',
  '',
  null,
  undefined,
  {},
];

// Forms close to `YYYY-MM-DDTHH:MM:SSZ` that the regex path must still decide.
const NEAR_PLAIN: [input: string, expected: string | null][] = [
  ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
  ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000Z'],
  ['1900-02-29T12:00:00Z', null],
  ['2023-02-29T12:00:00Z', null],
  ['2023-04-31T12:00:00Z', null],
  ['2023-06-30T12:59:60Z', '2023-06-30T13:00:00.000Z'],
  ['2023-12-31t23:59:59z', '2023-12-31T23:59:59.000Z'],
  ['2023-12-31T23:59:5xZ', null],
  ['2023-00-10T10:00:00Z', null],
  ['2023-01-00T10:00:00Z', null],
  ['2023-01-10T10:60:00Z', null],
];

describe('parseTimestamp', () => {
  it.each(NEAR_PLAIN)('decides %j like the regex path', (input, expected) => {
    expect(parseTimestamp(input)).toBe(expected);
  });

  it.each(VALID)('parses %j', (input, expected) => {
    expect(parseTimestamp(input)).toBe(expected);
  });

  it.each(INVALID.map((input) => [input]))('rejects %j', (input) => {
    expect(parseTimestamp(input)).toBeNull();
  });
});
