import { describe, expect, it } from 'vitest';
import { eventMillis } from './event-time.ts';

describe('eventMillis', () => {
  it('reads ISO times as Date.parse does', () => {
    for (let time = Date.UTC(1999, 11, 30); time < Date.UTC(2031, 0, 2); time += 86_399_937) {
      const text = new Date(time).toISOString();
      expect(eventMillis(text)).toBe(time);
    }
  });

  it('matches Date.parse on other texts', () => {
    const texts = [
      '2024-02-30T00:00:00.000Z',
      '2024-02-31T12:00:00.000Z',
      '2023-02-29T00:00:00.000Z',
      '2024-04-31T00:00:00.000Z',
      '2024-01-01T24:00:00.000Z',
      '2024-01-01T23:59:60.000Z',
      '2024-13-01T00:00:00.000Z',
      '2024-00-01T00:00:00.000Z',
      '2024-01-00T00:00:00.000Z',
      '0050-01-01T00:00:00.000Z',
      '2024-01-01T0a:00:00.000Z',
      '2024-01-01T-1:00:00.000Z',
      '2024-01-01T00:00:00.00aZ',
      '2024-01-01T00:00:00.000+',
      '2024-01-01T00:00:00Z',
      '2024-01-01T00:00:00.000+01:00',
      '2024-05-13 00:00:03.000Z',
      'not a time',
      '',
    ];
    for (const text of texts) expect(eventMillis(text), text).toBe(Date.parse(text));
  });
});
