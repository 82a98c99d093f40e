import { describe, expect, it } from 'vitest';
import { onEvents } from '../analyze/test-case.ts';
import { testEvent } from '../store/test-events.ts';
import { coverageWarnings } from './retention.ts';

describe('retention coverage warnings', () => {
  const events = [
    testEvent(0, { time: '2024-05-01T00:00:00.000Z' }),
    testEvent(1, { time: '2024-01-01T00:00:00.000Z', source: 'aws.vpcflow' }),
  ];

  it('warns of CloudTrail evidence shorter than the event history keeps', async () => {
    const warnings = await onEvents(events, (c) => coverageWarnings(c, '2024-05-31T00:00:00.000Z'));

    expect(warnings.map((w) => [w.source, w.days])).toEqual([['aws.cloudtrail', 30]]);
    expect(warnings[0]?.message).toContain('lookup-events');
  });

  it('warns of nothing without a discovery time', async () => {
    expect(await onEvents(events, (c) => coverageWarnings(c, null))).toEqual([]);
  });
});
