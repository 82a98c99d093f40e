import { describe, expect, test } from 'vitest';
import { onEvents } from '../../analyze/test-case.ts';
import { testEvent } from '../../store/test-events.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { SqlScan } from './scan.ts';

const RULES = `title: Role among the resources
id: 7c2d5e10-0000-4000-8000-000000000001
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    resources.ARN|contains: 'role/'
  condition: selection
level: low
---
title: Role assumed
id: 7c2d5e10-0000-4000-8000-000000000002
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    eventName: AssumeRole
  condition: selection
level: low
`;

// Every record has an array on the path of the first rule, so each goes to the list-shape scan.
// Scanned at once, the 33 MB of records ran out of the case's 256 MB.
const EVENTS = 6_500;
const PADDING = 'x'.repeat(5 * 1024);

function rules(): DetectionRule[] {
  return detectionRules(RULES);
}

describe('SqlScan list-shape rules', () => {
  test('scans records in ranges', async () => {
    const events = Array.from({ length: EVENTS }, (_, record) => {
      const type = record % 2 === 0 ? 'role' : 'user';
      const resources = [
        { ARN: `arn:aws:iam::111122223333:${type}/r${record}`, type: 'AWS::IAM::Role' },
        { ARN: `arn:aws:s3:::bucket${record}`, type: 'AWS::S3::Bucket' },
      ];
      const raw = { eventName: 'AssumeRole', resources, padding: PADDING };
      return testEvent(record, { raw });
    });
    const matches = new Map<string, number>();
    await onEvents(events, (connection) =>
      new SqlScan(rules()).each(connection, {
        onMatch: (match) => {
          for (const id of match.ruleIds) matches.set(id, (matches.get(id) ?? 0) + 1);
        },
      }),
    );

    expect(matches.get('7c2d5e10-0000-4000-8000-000000000001')).toBe(EVENTS / 2);
    expect(matches.get('7c2d5e10-0000-4000-8000-000000000002')).toBe(EVENTS);
  }, 60_000);
});
