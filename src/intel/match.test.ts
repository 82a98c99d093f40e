import { describe, expect, it } from 'vitest';
import { onEvents } from '../analyze/test-case.ts';
import { testEvent } from '../store/test-events.ts';
import { matchIndicatorEvents, matchIndicators } from './match.ts';
import type { Indicator, IndicatorType } from './types.ts';

function indicator(type: IndicatorType, value: string, line: number): Indicator {
  return { type, value, source: 'intel.txt', line, label: null };
}

const EVENTS = [
  testEvent(0, { src: { ...testEvent(0).src, ip: '2001:DB8:bad::7' } }),
  testEvent(1, { dst: { ...testEvent(1).dst, domain: 'cdn.evil.example' } }),
  testEvent(2, { user_agent: 'EvilBot/1.0' }),
  testEvent(3, {
    raw: { url: 'https://drop.example/x.sh?id=1', note: 'd41d8cd98f00b204e9800998ecf8427e' },
  }),
  testEvent(4, { src: { ...testEvent(4).src, ip: '198.51.100.20' } }),
];

describe('intel matcher', () => {
  it('matches each indicator type against its fields', async () => {
    const indicators = [
      indicator('cidr', '2001:db8:bad:0:0:0:0:0/48', 1),
      indicator('domain', 'evil.example', 2),
      indicator('user_agent', 'EvilBot/1.0', 3),
      indicator('domain', 'drop.example', 4),
      indicator('hash', 'd41d8cd98f00b204e9800998ecf8427e', 5),
      indicator('access_key', 'AKIAIOSFODNN7EXAMPLE', 6),
      indicator('ip', '198.51.100.99', 7),
    ];
    const hits = await onEvents(EVENTS, (connection) => matchIndicators(connection, indicators));
    const byLine = new Map(hits.map((hit) => [hit.indicator.line, hit]));

    expect(byLine.get(1)?.uids).toEqual([EVENTS[0]?.uid]);
    expect(byLine.get(1)?.fields).toEqual(['src.ip']);
    expect(byLine.get(2)?.uids).toEqual([EVENTS[1]?.uid]);
    expect(byLine.get(3)?.uids).toEqual([EVENTS[2]?.uid]);
    expect(byLine.get(4)?.fields).toEqual(['url']);
    expect(byLine.get(5)?.uids).toEqual([EVENTS[3]?.uid]);
    // Every test event is signed with the same key.
    expect(byLine.get(6)?.matches).toBe(EVENTS.length);
    expect(byLine.has(7)).toBe(false);
  });

  it('counts each matched event once', async () => {
    // The key is on every event and the address on one of them, so two hits share an event.
    const indicators = [
      indicator('access_key', 'AKIAIOSFODNN7EXAMPLE', 1),
      indicator('ip', '198.51.100.20', 2),
      indicator('user_agent', 'EvilBot/1.0', 3),
    ];
    const match = await onEvents(EVENTS, (connection) =>
      matchIndicatorEvents(connection, indicators),
    );

    expect(match.hits).toHaveLength(3);
    expect(match.events).toBe(EVENTS.length);
  });

  it('matches nothing without indicators', async () => {
    const hits = await onEvents(EVENTS, (connection) => matchIndicators(connection, []));
    expect(hits).toEqual([]);
  });
});
