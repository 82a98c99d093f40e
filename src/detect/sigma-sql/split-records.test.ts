import { describe, expect, test } from 'vitest';
import { onEvents } from '../../analyze/test-case.ts';
import { RAW_PART_UNITS } from '../../store/raw-parts.ts';
import { testEvent } from '../../store/test-events.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { SqlScan } from './scan.ts';
import { splitTableRanges } from './split-records.ts';

const RULES = `title: Bucket policy on the evidence bucket
id: 5b0e7a31-0000-4000-8000-000000000002
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    requestParameters.bucketName: evidence
    requestParameters.policy|contains: '*'
  condition: selection
level: low
`;

function rules(): DetectionRule[] {
  return parseRuleText(RULES, 'rules.yml').rules.filter(
    (rule): rule is DetectionRule => rule.kind === 'detection',
  );
}

// A bucket policy longer than one value of `raw`, so the event's record is stored in parts.
const POLICY = `{"Statement":[{"Principal":"*","Padding":"${'p'.repeat(4 * RAW_PART_UNITS)}"}]}`;

describe('SqlScan events stored in parts', () => {
  test('matches fields of a split record', async () => {
    const events = [0, 1, 2].map((record) =>
      testEvent(record, {
        raw: {
          eventName: 'PutBucketPolicy',
          requestParameters: { bucketName: record === 1 ? 'other' : 'evidence', policy: POLICY },
        },
      }),
    );

    const matches = await onEvents(events, (connection) => new SqlScan(rules()).run(connection));

    expect(matches.map((match) => match.uid)).toEqual([events[0]!.uid, events[2]!.uid]);
    expect(matches.map((match) => match.ruleIds)).toEqual([
      ['5b0e7a31-0000-4000-8000-000000000002'],
      ['5b0e7a31-0000-4000-8000-000000000002'],
    ]);
  });

  test('matches a split record too large for the scans', async () => {
    // Over 1 MiB, so the scans list it for the in-memory engine, which reads its parts.
    const policy = `{"Statement":[{"Principal":"*","Padding":"${'p'.repeat(1_100_000)}"}]}`;
    const event = testEvent(0, {
      raw: { eventName: 'PutBucketPolicy', requestParameters: { bucketName: 'evidence', policy } },
    });

    const matches = await onEvents([event], (connection) => new SqlScan(rules()).run(connection));

    expect(matches.map((match) => match.uid)).toEqual([event.uid]);
  });
});

describe('splitTableRanges', () => {
  test('cuts ranges at the byte budget', () => {
    const group = [3n, 5n, 9n, 12n].map((row) => ({ row, uid: `u${row}`, size: 40 }));

    expect(splitTableRanges(group, 100)).toEqual([
      { low: 3n, high: 5n },
      { low: 9n, high: 12n },
    ]);
  });

  test('keeps a record over the budget in a range of its own', () => {
    const group = [{ row: 7n, uid: 'u7', size: 500 }];

    expect(splitTableRanges(group, 100)).toEqual([{ low: 7n, high: 7n }]);
  });
});
