import { describe, expect, it } from 'vitest';
import type { Event } from '../core/event.ts';
import { testEvent } from '../store/test-events.ts';
import type { DetectedEvent } from '../store/types.ts';
import { condenseAttackTimeline } from './attack-timeline.ts';

function detected(event: Event, rule: string, hit: string | null = null): DetectedEvent {
  return {
    rule_id: rule,
    title: rule,
    severity: 'high',
    tactics: ['persistence'],
    hit_id: hit,
    event,
  };
}

function at(record: number, minutes: number): Event {
  return testEvent(record, { time: new Date(Date.UTC(2024, 4, 1, 12, minutes)).toISOString() });
}

describe('condenseAttackTimeline', () => {
  it('merges a run of one rule by one actor', () => {
    const entries = condenseAttackTimeline(
      [detected(at(0, 0), 'r1'), detected(at(1, 5), 'r1'), detected(at(2, 10), 'r1')],
      10,
    );

    expect(entries).toHaveLength(1);
    expect(entries[0]?.count).toBe(3);
    expect(entries[0]?.last_time).toBe('2024-05-01T12:10:00.000Z');
  });

  it('starts a new entry after a long gap', () => {
    const entries = condenseAttackTimeline(
      [detected(at(0, 0), 'r1'), detected(at(1, 30), 'r1')],
      10,
    );

    expect(entries.map((entry) => entry.count)).toEqual([1, 1]);
  });

  it('keeps rules and actors apart', () => {
    const other = testEvent(2, { actor: { ...at(2, 1).actor, uid: 'arn:aws:iam::1:user/eve' } });
    const entries = condenseAttackTimeline(
      [detected(at(0, 0), 'r1'), detected(at(1, 1), 'r2'), detected(other, 'r1')],
      10,
    );

    expect(entries).toHaveLength(3);
  });

  it('makes one entry per correlation hit', () => {
    const entries = condenseAttackTimeline(
      [
        detected(at(0, 0), 'c1', 'h1'),
        detected(at(1, 50), 'c1', 'h1'),
        detected(at(2, 51), 'c1', 'h2'),
      ],
      10,
    );

    expect(entries.map((entry) => entry.count)).toEqual([2, 1]);
  });

  it('caps the number of entries', () => {
    const items = Array.from({ length: 5 }, (_, i) => detected(at(i, i * 20), 'r1'));

    expect(condenseAttackTimeline(items, 2)).toHaveLength(2);
  });
});
