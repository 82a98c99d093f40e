import { describe, expect, it } from 'vitest';
import { onEvents } from '../analyze/test-case.ts';
import { TEST_SHA, testEvent, wholeMemberUid } from '../store/test-events.ts';
import { findSilences } from './silence.ts';

const START = Date.UTC(2024, 4, 13);
const MINUTE = 60_000;

function at(record: number, minutes: number, region: string) {
  return testEvent(record, {
    time: new Date(START + minutes * MINUTE).toISOString(),
    cloud: { provider: 'aws', account: '111122223333', region },
  });
}

describe('silence search', () => {
  it('reports an interval far above the usual spacing', async () => {
    // us-east-1: one event a minute, then three silent hours, then one a minute again.
    const events = [
      ...Array.from({ length: 60 }, (_, i) => at(i, i, 'us-east-1')),
      ...Array.from({ length: 60 }, (_, i) => at(100 + i, 240 + i, 'us-east-1')),
      ...Array.from({ length: 300 }, (_, i) => at(200 + i, i, 'eu-west-1')),
    ];
    const { findings, spacing } = await onEvents(events, (c) => findSilences(c));

    expect(findings.map((f) => [f.region, f.start, f.end])).toEqual([
      [
        'us-east-1',
        new Date(START + 59 * MINUTE).toISOString(),
        new Date(START + 240 * MINUTE).toISOString(),
      ],
    ]);
    expect(spacing.find((s) => s.region === 'eu-west-1')?.usual_seconds).toBe(60);
  });

  it('reports a source silent until the end of the evidence', async () => {
    const events = [
      ...Array.from({ length: 60 }, (_, i) => at(i, i, 'us-east-1')),
      ...Array.from({ length: 400 }, (_, i) => at(100 + i, i, 'eu-west-1')),
    ];
    const { findings } = await onEvents(events, (c) => findSilences(c));

    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ region: 'us-east-1', end: null });
  });

  it('ignores streams with too few events for a usual spacing', async () => {
    const events = [at(0, 0, 'us-east-1'), at(1, 600, 'us-east-1')];
    const { findings } = await onEvents(events, (c) => findSilences(c));

    expect(findings).toEqual([]);
  });
});

describe('silence search with long event uids', () => {
  it('stays within a small memory limit', async () => {
    // Each uid contains a 5,000-byte member name. Sorted with the uid on every row, these
    // 8,000 events ran out of 64 MB in DuckDB. Two events share each time, so the uids cited
    // show which event of a time the search picked.
    const member = 'M'.repeat(5_000);
    const longEvent = (record: number, minutes: number) => {
      const evidence = { sha256: TEST_SHA, member, record, offset: 0 };
      return { ...at(record, minutes, 'us-east-1'), uid: wholeMemberUid(evidence), evidence };
    };
    const minutes = [
      ...Array.from({ length: 2_000 }, (_, i) => i),
      ...Array.from({ length: 2_000 }, (_, i) => 2_240 + i),
    ];
    const events = minutes.flatMap((minute, i) => [
      longEvent(2 * i, minute),
      longEvent(2 * i + 1, minute),
    ]);
    const { findings, spacing } = await onEvents(events, async (connection) => {
      await connection.run("SET memory_limit = '64MB'");
      return findSilences(connection);
    });

    const uid = (record: number) => wholeMemberUid({ sha256: TEST_SHA, member, record, offset: 0 });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.start).toBe(new Date(START + 1_999 * MINUTE).toISOString());
    expect(findings[0]?.end).toBe(new Date(START + 2_240 * MINUTE).toISOString());
    // In string order, record 3999 comes after 3998 and record 4000 before 4001.
    expect(findings[0]?.event_uids).toEqual([uid(3_999), uid(4_000)]);
    expect(spacing).toHaveLength(1);
    expect(spacing[0]?.events).toBe(8_000);
  });
});
