import { describe, expect, it } from 'vitest';
import { FIRST_SEEN_DETECTORS } from './first-seen.ts';
import {
  AWS,
  at,
  baselinesOf,
  type Call,
  calls,
  FAR,
  HOME,
  OFFICE,
  officeDays,
} from './test-case.ts';
import type { Anomaly, AnomalyKind } from './types.ts';

async function anomaliesOf(list: Call[], minBaselineEvents?: number): Promise<Anomaly[]> {
  const thresholds = minBaselineEvents === undefined ? {} : { minBaselineEvents };
  const result = await baselinesOf(calls(list), { detectors: FIRST_SEEN_DETECTORS, thresholds });
  return result.anomalies;
}

const kinds = (anomalies: Anomaly[]): AnomalyKind[] => anomalies.map((a) => a.kind).sort();

describe('first-seen baselines', () => {
  it('flags a new country, network and address', async () => {
    const list = [...officeDays(3), { time: at(73), ip: FAR }, { time: at(73.5), ip: FAR }];

    const anomalies = await anomaliesOf(list);

    expect(kinds(anomalies)).toEqual(['new_country', 'new_network', 'new_source_ip']);
    const country = anomalies.find((a) => a.kind === 'new_country');
    expect(country?.value).toBe('RO');
    expect(country?.usual).toEqual([{ value: 'GB', count: 8 }]);
    expect(country?.event_count).toBe(2);
    expect(country?.first_seen).toBe(at(73));
    expect(country?.baseline).toEqual({ from: at(9), to: at(33), events: 8 });
    expect(country?.explanation).toContain('First use of country RO');
    expect(country?.explanation).toContain('it used: GB (8)');
    expect(anomalies.find((a) => a.kind === 'new_network')?.value).toBe(
      'AS39737 Prime Telecom srl',
    );
  });

  it('never calls a cloud address foreign', async () => {
    const anomalies = await anomaliesOf([...officeDays(3), { time: at(73), ip: AWS }]);

    expect(kinds(anomalies)).toEqual(['new_network', 'new_source_ip']);
  });

  it('never places a private address', async () => {
    const anomalies = await anomaliesOf([...officeDays(3), { time: at(73), ip: '10.1.2.3' }]);

    expect(kinds(anomalies)).toEqual(['new_source_ip']);
  });

  it('learns values of the baseline window', async () => {
    const list = [...officeDays(3), { time: at(20), ip: FAR }, { time: at(73), ip: FAR }];

    expect(await anomaliesOf(list)).toEqual([]);
  });

  it('needs enough earlier events', async () => {
    const sparse = [0, 24, 48].map((hour) => ({ time: at(hour + 10) }));

    expect(await anomaliesOf([...sparse, { time: at(73), ip: FAR }], 5)).toEqual([]);
  });

  it('flags a new country after one earlier event', async () => {
    const anomalies = await anomaliesOf([{ time: at(10) }, { time: at(400), ip: FAR }]);

    expect(anomalies.find((a) => a.kind === 'new_country')?.usual).toEqual([
      { value: 'GB', count: 1 },
    ]);
  });

  it('needs a day of history', async () => {
    expect(await anomaliesOf([{ time: at(10) }, { time: at(20), ip: FAR }])).toEqual([]);
  });

  it('flags a new region, user agent and API', async () => {
    const list = [
      ...officeDays(2),
      {
        time: at(60),
        region: 'ap-south-1',
        agent: 'Boto3/1.34 md/Botocore',
        operation: 'ListUsers',
      },
    ];

    const anomalies = await anomaliesOf(list);

    expect(kinds(anomalies)).toEqual(['new_api', 'new_region', 'new_user_agent']);
    expect(anomalies.find((a) => a.kind === 'new_user_agent')?.value).toBe('boto3');
    expect(anomalies.find((a) => a.kind === 'new_api')?.value).toBe('s3.amazonaws.com:ListUsers');
  });

  it('ignores the region of global services', async () => {
    const iam = { time: at(60), region: 'us-east-1', service: 'iam.amazonaws.com' };

    const anomalies = await anomaliesOf([...officeDays(2), { ...iam, operation: 'ListBuckets' }]);

    expect(kinds(anomalies)).toEqual(['new_api']);
  });

  it('keeps identities apart', async () => {
    const list = [...officeDays(3), ...officeDays(3, { user: 'bob', ip: HOME })];
    list.push({ time: at(73), user: 'bob', ip: OFFICE });

    const anomalies = await anomaliesOf(list);

    expect(anomalies.map((a) => a.identity)).toEqual([
      'arn:aws:iam::111122223333:user/bob',
      'arn:aws:iam::111122223333:user/bob',
    ]);
    expect(kinds(anomalies)).toEqual(['new_network', 'new_source_ip']);
  });
});
