import { describe, expect, it } from 'vitest';
import { implausibleTime } from './plausible-time.ts';

const NOW = Date.UTC(2026, 11, 4);

describe('implausibleTime', () => {
  it('accepts times from 1990 to a year after ingest', () => {
    expect(implausibleTime('1990-01-01T00:00:00.000Z', NOW)).toBeNull();
    expect(implausibleTime('2027-12-01T00:00:00.000Z', NOW)).toBeNull();
  });

  it('rejects epoch slips and far-future years', () => {
    expect(implausibleTime('1970-01-01T03:25:45.000Z', NOW)?.code).toBe('implausible_time');
    expect(implausibleTime('0001-01-01T00:00:00.000Z', NOW)?.code).toBe('implausible_time');
    expect(implausibleTime('9999-12-31T23:59:59.000Z', NOW)?.code).toBe('implausible_time');
  });
});
