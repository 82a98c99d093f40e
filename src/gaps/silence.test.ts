import { describe, expect, it } from 'vitest';
import { onEvents } from '../analyze/test-case.ts';
import { testEvent } from '../store/test-events.ts';
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
