import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Event } from '../core/event.ts';
import { normalizeCloudTrail } from '../sources/cloudtrail.ts';
import { isNormalizeError } from '../sources/types.ts';
import { CaseDb } from '../store/index.ts';
import { TEST_SHA } from '../store/test-events.ts';
import { actorsPastCut } from './long-actors.ts';
import { caseWithEvents, withConnection } from './test-case.ts';

// A CloudTrail call by the role session `session`.
function callBy(record: number, session: string): Event {
  const raw = {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::111122223333:assumed-role/admin/${session}`,
    },
    eventTime: `2024-05-01T12:00:0${record}Z`,
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetCallerIdentity',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    eventID: `e${record}`,
  };
  const event = normalizeCloudTrail(raw, { sha256: TEST_SHA, member: null, record, offset: 0 });
  if (isNormalizeError(event)) throw new Error(event.reason);
  return event;
}

describe('actorsPastCut', () => {
  it('finds text past the start an actor column keeps', async () => {
    // The actor ARN is stored as its first 16,256 code units, a length and a digest.
    const events = [
      callBy(0, `${'s'.repeat(20_000)}-Mallory`),
      callBy(1, `Mallory-${'s'.repeat(20_000)}`),
      callBy(2, `${'s'.repeat(20_000)}-alice`),
      callBy(3, 'mallory'),
    ];
    const caseDir = await caseWithEvents(events);

    const found = await withConnection(caseDir, (connection) =>
      actorsPastCut(connection, 'mallory'),
    );
    const db = await CaseDb.openReadOnly(caseDir);
    const selected: string[] = [];
    try {
      const filter = { actor: 'mallory', actorUids: found, withoutRaw: true };
      for await (const event of db.timeline(filter)) selected.push(event.uid);
    } finally {
      await db.close();
      await rm(caseDir, { recursive: true, force: true });
    }

    expect(found).toEqual([events[0]?.uid]);
    expect(selected).toEqual([events[0]?.uid, events[1]?.uid, events[3]?.uid]);
  });
});
