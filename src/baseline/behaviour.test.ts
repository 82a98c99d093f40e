import { describe, expect, it } from 'vitest';
import { ACCESS_DENIED_DETECTOR } from './access-denied.ts';
import type { Detector } from './detector.ts';
import { IMPOSSIBLE_TRAVEL_DETECTOR } from './impossible-travel.ts';
import { RARE_OPERATION_DETECTOR } from './rare-operations.ts';
import { AWS, at, baselinesOf, type Call, calls, FAR, HOME, officeDays } from './test-case.ts';
import type { Anomaly } from './types.ts';
import { UNUSUAL_HOUR_DETECTOR } from './unusual-hours.ts';
import { VOLUME_SPIKE_DETECTOR } from './volume-spikes.ts';

async function anomaliesOf(detector: Detector, list: Call[]): Promise<Anomaly[]> {
  return (await baselinesOf(calls(list), { detectors: [detector] })).anomalies;
}

/** `count` calls spread evenly over the clock hour that starts `hours` after the Monday. */
function hour(hours: number, count: number, call: Omit<Call, 'time'> = {}): Call[] {
  return Array.from({ length: count }, (_, i) => ({ ...call, time: at(hours + i / count) }));
}

describe('volume spikes', () => {
  const steady = Array.from({ length: 20 }, (_, i) => hour(i, 10 + (i % 3))).flat();

  it('flags an hour far above the median', async () => {
    const anomalies = await anomaliesOf(VOLUME_SPIKE_DETECTOR, [...steady, ...hour(30, 200)]);

    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]?.value).toBe('200 events');
    expect(anomalies[0]?.details.median).toBe(11);
    expect(anomalies[0]?.details.mad).toBe(1);
    expect(anomalies[0]?.event_count).toBe(200);
    expect(anomalies[0]?.event_uids).toHaveLength(100);
    expect(anomalies[0]?.explanation).toContain('a median of 11 events per active hour (MAD 1)');
  });

  it('ignores a busy hour of a busy identity', async () => {
    const busy = Array.from({ length: 20 }, (_, i) => hour(i, 150 + (i % 5) * 20)).flat();

    expect(await anomaliesOf(VOLUME_SPIKE_DETECTOR, [...busy, ...hour(30, 200)])).toEqual([]);
  });

  it('needs enough active hours', async () => {
    const short = steady.slice(0, 50);

    expect(await anomaliesOf(VOLUME_SPIKE_DETECTOR, [...short, ...hour(30, 200)])).toEqual([]);
  });
});

describe('access-denied bursts', () => {
  const denied = { status: 'failure' as const, detail: 'AccessDenied' };

  it('flags many denied calls in ten minutes', async () => {
    const burst = Array.from({ length: 12 }, (_, i) => ({ ...denied, time: at(74 + i / 120) }));

    const anomalies = await anomaliesOf(ACCESS_DENIED_DETECTOR, [...officeDays(3), ...burst]);

    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]?.value).toBe('12 denied calls');
    expect(anomalies[0]?.details.median_denied).toBe(0);
    expect(anomalies[0]?.event_count).toBe(12);
  });

  it.each(['PERMISSION_DENIED', '403 Forbidden', 'AuthorizationFailed'])(
    'counts %s as denied',
    async (detail) => {
      const burst = Array.from({ length: 12 }, (_, i) => ({
        status: 'failure' as const,
        detail,
        time: at(74 + i / 120),
      }));

      const anomalies = await anomaliesOf(ACCESS_DENIED_DETECTOR, [...officeDays(3), ...burst]);

      expect(anomalies.map((a) => a.value)).toEqual(['12 denied calls']);
    },
  );

  it('ignores automation that always fails', async () => {
    // Every active bucket of this identity holds 12 denied calls, so 12 is its usual count.
    const always = Array.from({ length: 30 }, (_, day) =>
      Array.from({ length: 12 }, (_, i) => ({ ...denied, time: at(day * 2 + i / 120) })),
    ).flat();

    expect(await anomaliesOf(ACCESS_DENIED_DETECTOR, always)).toEqual([]);
  });

  it('ignores failures that are not denials', async () => {
    const throttled = Array.from({ length: 12 }, (_, i) => ({
      status: 'failure' as const,
      detail: 'ThrottlingException',
      time: at(74 + i / 120),
    }));

    expect(await anomaliesOf(ACCESS_DENIED_DETECTOR, [...officeDays(3), ...throttled])).toEqual([]);
  });
});

describe('unusual hours', () => {
  it('flags calls at night after office days', async () => {
    const night = hour(170, 4);

    const anomalies = await anomaliesOf(UNUSUAL_HOUR_DETECTOR, [...officeDays(7), ...night]);

    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]?.value).toBe('02:00 UTC');
    expect(anomalies[0]?.baseline.events).toBe(56);
    expect(anomalies[0]?.usual[0]).toEqual({ value: '09:00', count: 7 });
    expect(anomalies[0]?.event_count).toBe(4);
  });

  it('ignores calls in a usual hour', async () => {
    expect(await anomaliesOf(UNUSUAL_HOUR_DETECTOR, [...officeDays(7), ...hour(178, 4)])).toEqual(
      [],
    );
  });

  it('ignores an identity with a short history', async () => {
    expect(await anomaliesOf(UNUSUAL_HOUR_DETECTOR, [...officeDays(2), ...hour(50, 4)])).toEqual(
      [],
    );
  });
});

describe('impossible travel', () => {
  it('flags London then Bucharest within an hour', async () => {
    const list = [{ time: at(10) }, { time: at(10.5), ip: FAR }];

    const anomalies = await anomaliesOf(IMPOSSIBLE_TRAVEL_DETECTOR, list);

    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]?.value).toBe('RO (92.55.146.245)');
    expect(anomalies[0]?.usual).toEqual([{ value: 'GB (81.2.69.160)', count: 1 }]);
    expect(Number(anomalies[0]?.details.km)).toBeGreaterThan(1900);
    expect(anomalies[0]?.event_uids).toHaveLength(2);
  });

  it('reports a pair of places once', async () => {
    const list = [0, 0.2, 0.4, 0.6].map((offset, i) => ({
      time: at(10 + offset),
      ...(i % 2 === 1 ? { ip: FAR } : {}),
    }));

    expect(await anomaliesOf(IMPOSSIBLE_TRAVEL_DETECTOR, list)).toHaveLength(1);
  });

  it('allows a journey that takes a day', async () => {
    const list = [{ time: at(10) }, { time: at(34), ip: FAR }];

    expect(await anomaliesOf(IMPOSSIBLE_TRAVEL_DETECTOR, list)).toEqual([]);
  });

  it('ignores short distances and cloud addresses', async () => {
    const list = [{ time: at(10) }, { time: at(10.1), ip: HOME }, { time: at(10.2), ip: AWS }];

    expect(await anomaliesOf(IMPOSSIBLE_TRAVEL_DETECTOR, list)).toEqual([]);
  });
});

describe('rare operations', () => {
  it('flags an operation called once among many', async () => {
    const list = [...hour(0, 250), { time: at(2), operation: 'PutBucketPolicy' }];

    const anomalies = await anomaliesOf(RARE_OPERATION_DETECTOR, list);

    expect(anomalies.map((a) => a.value)).toEqual(['s3.amazonaws.com:PutBucketPolicy']);
    expect(anomalies[0]?.usual).toEqual([{ value: 's3.amazonaws.com:ListBuckets', count: 250 }]);
  });

  it('ignores an identity with few events', async () => {
    const list = [...hour(0, 50), { time: at(2), operation: 'PutBucketPolicy' }];

    expect(await anomaliesOf(RARE_OPERATION_DETECTOR, list)).toEqual([]);
  });
});
