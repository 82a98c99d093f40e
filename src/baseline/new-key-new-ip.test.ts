import { describe, expect, it } from 'vitest';
import { NEW_KEY_DETECTOR } from './new-key-new-ip.ts';
import { at, baselinesOf, type Call, calls, FAR, OFFICE, officeDays } from './test-case.ts';
import type { Anomaly } from './types.ts';

const NEW_KEY = 'AKIAQ3EGV7KANEWKEY01';
const LIMIT = '32MB';

const create: Call = {
  time: at(40),
  operation: 'CreateAccessKey',
  raw: {
    eventName: 'CreateAccessKey',
    responseElements: { accessKey: { accessKeyId: NEW_KEY, userName: 'backdoor' } },
  },
};

async function anomaliesOf(list: Call[]): Promise<Anomaly[]> {
  return (await baselinesOf(calls(list), { detectors: [NEW_KEY_DETECTOR] })).anomalies;
}

describe('new key used from a new address', () => {
  it('flags a key used from elsewhere soon after creation', async () => {
    const use = { time: at(40.25), user: 'backdoor', key: NEW_KEY, ip: FAR };

    const anomalies = await anomaliesOf([...officeDays(2), create, use]);

    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]?.identity).toBe('arn:aws:iam::111122223333:user/backdoor');
    expect(anomalies[0]?.value).toBe(FAR);
    expect(anomalies[0]?.usual).toEqual([{ value: OFFICE, count: 17 }]);
    expect(anomalies[0]?.details.minutes_to_first_use).toBe(15);
    expect(anomalies[0]?.event_uids).toHaveLength(2);
  });

  it('reads a creating call stored in parts', async () => {
    // A record over 16,384 code units is stored in parts, with `raw` NULL in its row.
    const long = { ...create, raw: { ...create.raw, userAgent: 'u'.repeat(20_000) } };
    const use = { time: at(40.25), user: 'backdoor', key: NEW_KEY, ip: FAR };

    const anomalies = await anomaliesOf([...officeDays(2), long, use]);

    expect(anomalies.map((anomaly) => anomaly.value)).toEqual([FAR]);
  });

  it('ignores a key used from the creator address', async () => {
    const use = { time: at(40.25), user: 'backdoor', key: NEW_KEY, ip: OFFICE };

    expect(await anomaliesOf([...officeDays(2), create, use])).toEqual([]);
  });

  it('stays within memory over many creations and addresses', async () => {
    // 1,000 creations among 10,000 calls, each call from an address of its own: counting the
    // earlier addresses of every creation grouped about 2,500,000 rows and ran out of LIMIT.
    const busy: Call[] = [];
    for (let i = 0; i < 10_000; i++) {
      const ip = `10.${Math.floor(i / 256)}.${i % 256}.1`;
      const time = at(i / 500);
      busy.push(i % 5 === 0 && i < 5_000 ? { ...create, time, ip } : { time, ip });
    }
    const last = { ...create, time: at(20) };
    const use = { time: at(20.1), user: 'backdoor', key: NEW_KEY, ip: FAR };

    const anomalies = (
      await baselinesOf(calls([...busy, last, use]), { detectors: [NEW_KEY_DETECTOR] }, LIMIT)
    ).anomalies;

    expect(anomalies.map((anomaly) => anomaly.value)).toEqual([FAR]);
  }, 60_000);

  it('ignores a first use after the window', async () => {
    const use = { time: at(42), user: 'backdoor', key: NEW_KEY, ip: FAR };

    expect(await anomaliesOf([...officeDays(2), create, use])).toEqual([]);
  });
});
