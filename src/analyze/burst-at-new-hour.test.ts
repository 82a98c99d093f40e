import { describe, expect, it } from 'vitest';
import type { Event } from '../core/event.ts';
import type { CorrelationHit } from '../detect/types.ts';
import { BURST_AT_NEW_HOUR_ID, burstAtNewHour } from './burst-at-new-hour.ts';
import { at, type KeyCall, keyCall, onEvents } from './test-case.ts';

const KEY = 'AKIAQ3EGV7KAMD4NAK3Y';
const DANA = 'arn:aws:iam::111122223333:user/dana';

/** Calls every half hour from 09:00 to 16:30 on each of `days` days from the Monday. */
function officeDays(days: number, user = 'dana'): KeyCall[] {
  const list: KeyCall[] = [];
  for (let day = 0; day < days; day++) {
    for (let hour = 9; hour < 17; hour += 0.5) {
      list.push({ time: at(day * 24 + hour), key: KEY, ip: '192.0.2.31', user });
    }
  }
  return list;
}

/** `count` calls one minute apart from `hours` after the Monday's midnight. */
function burst(hours: number, count: number, user = 'dana'): KeyCall[] {
  return Array.from({ length: count }, (_, i) => ({
    time: at(hours + i / 60),
    key: KEY,
    ip: '203.0.113.77',
    user,
  }));
}

function calls(list: KeyCall[], type = 'IAMUser'): Event[] {
  return list.map((call, index) => {
    const event = keyCall(index, call);
    return { ...event, actor: { ...event.actor, type } };
  });
}

async function hitsFor(events: Event[]): Promise<CorrelationHit[]> {
  const analytic = burstAtNewHour();
  return onEvents(events, (connection) => analytic.run(connection)) as Promise<CorrelationHit[]>;
}

describe('burst at a new hour', () => {
  it('flags a night burst after office days', async () => {
    const events = calls([...officeDays(3), ...burst(74, 30)]);

    const hits = await hitsFor(events);

    expect(hits).toHaveLength(1);
    expect(hits[0]?.rule_id).toBe(BURST_AT_NEW_HOUR_ID);
    expect(hits[0]?.group).toEqual({ actor_uid: DANA, hour_utc: '2' });
    expect(hits[0]?.event_uids).toEqual(events.slice(-30).map((event) => event.uid));
    expect(hits[0]?.first_seen).toBe(at(74));
  });

  it('ignores a burst in a usual hour', async () => {
    expect(await hitsFor(calls([...officeDays(3), ...burst(82, 30)]))).toEqual([]);
  });

  it('ignores a few calls at night', async () => {
    expect(await hitsFor(calls([...officeDays(3), ...burst(74, 19)]))).toEqual([]);
  });

  it('ignores an identity with a short history', async () => {
    expect(await hitsFor(calls([...officeDays(2), ...burst(50, 30)]))).toEqual([]);
  });

  it('ignores AWS services acting on their own', async () => {
    expect(await hitsFor(calls([...officeDays(3), ...burst(74, 30)], 'AWSService'))).toEqual([]);
  });

  it('compares each identity with its own hours', async () => {
    const nightWorker = [0, 1, 2].flatMap((day) => burst(day * 24 + 2, 2, 'night'));
    const nightBurst = [...burst(74, 30, 'night'), ...burst(74, 30)];
    const events = calls([
      ...officeDays(3),
      ...officeDays(3, 'night'),
      ...nightWorker,
      ...nightBurst,
    ]);

    const hits = await hitsFor(events);

    expect(hits.map((hit) => hit.group.actor_uid)).toEqual([DANA]);
  });

  it('caps a hit', async () => {
    const fast = Array.from({ length: 150 }, (_, i) => ({
      time: at(74 + i / 200),
      key: KEY,
      ip: '203.0.113.77',
      user: 'dana',
    }));

    const hits = await hitsFor(calls([...officeDays(3), ...fast]));

    expect(hits).toHaveLength(1);
    expect(hits[0]?.event_uids).toHaveLength(100);
  });
});
