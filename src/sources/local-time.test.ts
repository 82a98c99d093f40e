import { describe, expect, it } from 'vitest';
import { isTimeZone, ZonedClock } from './local-time.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('ZonedClock', () => {
  it('reads UTC wall times unchanged', () => {
    expect(iso(new ZonedClock('UTC').toUtc(2024, 2, 1, 10, 0, 0))).toBe('2024-03-01T10:00:00.000Z');
  });

  it('applies the offset of the season', () => {
    const berlin = new ZonedClock('Europe/Berlin');
    expect(iso(berlin.toUtc(2024, 0, 15, 12, 0, 0))).toBe('2024-01-15T11:00:00.000Z');
    expect(iso(berlin.toUtc(2024, 6, 15, 12, 0, 0))).toBe('2024-07-15T10:00:00.000Z');
    const newYork = new ZonedClock('America/New_York');
    expect(iso(newYork.toUtc(2024, 6, 15, 23, 30, 5))).toBe('2024-07-16T03:30:05.000Z');
    const kolkata = new ZonedClock('Asia/Kolkata');
    expect(iso(kolkata.toUtc(2024, 6, 15, 5, 30, 0))).toBe('2024-07-15T00:00:00.000Z');
  });

  it('takes the earlier instant of a repeated hour and bridges a skipped one', () => {
    const newYork = new ZonedClock('America/New_York');
    // 01:30 happens twice on 3 November 2024: first at -04:00, then at -05:00.
    expect(iso(newYork.toUtc(2024, 10, 3, 1, 30, 0))).toBe('2024-11-03T05:30:00.000Z');
    // 02:30 does not happen on 10 March 2024; the offset before the change is used.
    expect(iso(newYork.toUtc(2024, 2, 10, 2, 30, 0))).toBe('2024-03-10T07:30:00.000Z');
  });

  it('knows IANA zone names', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
