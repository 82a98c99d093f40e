import { describe, expect, it } from 'vitest';
import type { Event } from '../core/event.ts';
import type { CorrelationHit } from '../detect/types.ts';
import { KEY_NEW_SOURCE_ID, longTermKeyNewSource } from './long-term-key-new-source.ts';
import { at, type KeyCall, keyCall, onEvents } from './test-case.ts';

const KEY = 'AKIAQ3EGV7KAMD4NAK3Y';
const OFFICE = '192.0.2.31';
const HOME = '192.0.2.99';
const NEW_IP = '203.0.113.77';

/** Builds events with consecutive record numbers, so every uid differs. */
function calls(list: KeyCall[]): Event[] {
  return list.map((call, index) => keyCall(index, call));
}

/** Hourly calls from 09:00 to 16:00 on each of `days` days from the Monday. */
function officeDays(days: number, key = KEY, ip: string | null = OFFICE): KeyCall[] {
  const list: KeyCall[] = [];
  for (let day = 0; day < days; day++) {
    for (let hour = 9; hour < 17; hour++) list.push({ time: at(day * 24 + hour), key, ip });
  }
  return list;
}

async function hitsFor(events: Event[]): Promise<CorrelationHit[]> {
  const analytic = longTermKeyNewSource();
  return onEvents(events, (connection) => analytic.run(connection)) as Promise<CorrelationHit[]>;
}

describe('long-term key from a new source', () => {
  it('flags a new address at night after three office days', async () => {
    const night = [0, 0.1, 0.2, 0.5].map((offset) => ({
      time: at(73 + offset),
      key: KEY,
      ip: NEW_IP,
    }));
    const events = calls([...officeDays(3), ...night, { time: at(81), key: KEY, ip: OFFICE }]);
    const nightUids = events.filter((e) => e.src.ip === NEW_IP).map((e) => e.uid);

    const hits = await hitsFor(events);

    expect(hits).toHaveLength(1);
    expect(hits[0]?.rule_id).toBe(KEY_NEW_SOURCE_ID);
    expect(hits[0]?.event_uids).toEqual(nightUids);
    expect(hits[0]?.first_seen).toBe(at(73));
    expect(hits[0]?.last_seen).toBe(at(73.5));
    expect(hits[0]?.group).toEqual({
      actor_access_key: KEY,
      actor_uid: 'arn:aws:iam::111122223333:user/alice',
      src_ip: NEW_IP,
    });
  });

  it('ignores a key with history from one day only', async () => {
    const evening = { time: at(22), key: KEY, ip: NEW_IP };

    expect(await hitsFor(calls([...officeDays(1), evening]))).toEqual([]);
  });

  it('ignores a key with too few earlier events', async () => {
    const sparse = [0, 24, 48].map((hour) => ({ time: at(hour + 10), key: KEY, ip: OFFICE }));
    const late = { time: at(73), key: KEY, ip: NEW_IP };

    expect(await hitsFor(calls([...sparse, late]))).toEqual([]);
  });

  it('ignores a key used from two addresses from the start', async () => {
    const both = officeDays(4).map((call, index) => ({ ...call, ip: index % 2 ? HOME : OFFICE }));

    expect(await hitsFor(calls(both))).toEqual([]);
  });

  it('ignores session keys', async () => {
    const session = 'ASIAQ3EGV7KAMSESSION';
    const events = calls([...officeDays(3, session), { time: at(73), key: session, ip: NEW_IP }]);

    expect(await hitsFor(events)).toEqual([]);
  });

  it('ignores calls an AWS service made for the key', async () => {
    // CloudTrail records the service's name both as the source and as the user agent.
    const service = {
      time: at(73),
      key: KEY,
      ip: null,
      domain: 'cloudformation.amazonaws.com',
      agent: 'cloudformation.amazonaws.com',
    };

    expect(await hitsFor(calls([...officeDays(3), service]))).toEqual([]);
  });

  it('falls back to the user agent family without an address', async () => {
    const known = officeDays(3, KEY, null);
    const sameFamily = { time: at(72), key: KEY, ip: null, agent: 'aws-cli/2.16.1 Linux/6.5' };
    const newFamily = { time: at(73), key: KEY, ip: null, agent: 'Boto3/1.34.69 md/Botocore' };

    const hits = await hitsFor(calls([...known, sameFamily, newFamily]));

    expect(hits).toHaveLength(1);
    expect(hits[0]?.group.user_agent_family).toBe('boto3');
    expect(hits[0]?.event_uids).toHaveLength(1);
  });

  it('caps a hit and ends it a day after its first event', async () => {
    const burst = Array.from({ length: 150 }, (_, i) => ({
      time: at(73 + i / 100),
      key: KEY,
      ip: NEW_IP,
    }));
    const nextDay = { time: at(98), key: KEY, ip: NEW_IP };
    const events = calls([...officeDays(3), ...burst, nextDay]);

    const hits = await hitsFor(events);

    expect(hits).toHaveLength(1);
    expect(hits[0]?.event_uids).toHaveLength(100);
    expect(hits[0]?.event_uids).not.toContain(events.at(-1)?.uid);
    expect(hits[0]?.last_seen).toBe(at(73.99));
  });

  it('keeps keys apart', async () => {
    const other = 'AKIAQ3EGV7KAMOTHER01';
    const events = calls([
      ...officeDays(3),
      ...officeDays(3, other, HOME),
      { time: at(73), key: other, ip: OFFICE },
    ]);

    const hits = await hitsFor(events);

    expect(hits.map((hit) => hit.group.actor_access_key)).toEqual([other]);
  });

  it('states its thresholds in the description', () => {
    const { meta } = longTermKeyNewSource({ baselineMs: 48 * 3_600_000, minBaselineEvents: 5 });

    expect(meta.description).toContain('at least 48 hours');
    expect(meta.description).toContain('at least 5 earlier events');
  });
});
