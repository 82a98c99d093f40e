import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { caseWithEvents, withConnection } from '../../analyze/test-case.ts';
import { testEvent } from '../../store/test-events.ts';
import type { SigmaRule } from '../sigma/model.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { huntRules } from './hunt-rules.ts';
import { SqlScan } from './scan.ts';

const FIELD_RULE = `title: User policy put
id: 3e9b6a40-0000-4000-8000-000000000001
name: user_policy_put
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    eventName: PutUserPolicy
  condition: selection
level: low
`;

const RULES = `${FIELD_RULE}---
title: Role among the resources
id: 3e9b6a40-0000-4000-8000-000000000002
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    resources.ARN|contains: 'role/'
  condition: selection
level: low
---
title: Keyword in any value
id: 3e9b6a40-0000-4000-8000-000000000003
logsource: { product: aws, service: cloudtrail }
detection:
  keywords:
    - needle
  condition: keywords
level: low
`;

const CORRELATION = `${FIELD_RULE}---
title: User policies put by one address
id: 3e9b6a40-0000-4000-8000-000000000004
correlation:
  type: event_count
  rules: [user_policy_put]
  group-by: [sourceIPAddress]
  timespan: 1h
  condition: { gte: 2 }
level: medium
`;

// The policy of the second event is a 30 MB record. Its keyword scan ran out of the case's
// 256 MB in json_tree, and so did the correlation occurrences that DuckDB computed from it.
const POLICY = `needle ${'x'.repeat(30 * 1024 * 1024)}`;

function rulesOf(text: string): SigmaRule[] {
  return parseRuleText(text, 'rules.yml').rules;
}

function record(policy: string): Record<string, unknown> {
  const resources = [{ ARN: 'arn:aws:iam::111122223333:role/admin' }];
  const requestParameters = { userName: 'bob', policyDocument: policy };
  return {
    eventName: 'PutUserPolicy',
    sourceIPAddress: '203.0.113.7',
    requestParameters,
    resources,
  };
}

let folder: string;

beforeAll(async () => {
  const events = [
    testEvent(0, { raw: record('{}') }),
    testEvent(1, { raw: record(POLICY) }),
    testEvent(2, { raw: { eventName: 'GetObject' } }),
  ];
  folder = await caseWithEvents(events);
}, 60_000);

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('SqlScan on large records', () => {
  test('matches them with the in-memory engine', async () => {
    const detections = detectionRules(RULES);
    const matches = await withConnection(folder, (connection) =>
      new SqlScan(detections).run(connection),
    );
    const large = matches.find((match) => match.uid.endsWith(':1'));

    expect(matches.map((match) => match.uid.slice(-2))).toEqual([':0', ':1']);
    expect(large?.ruleIds.sort()).toEqual([
      '3e9b6a40-0000-4000-8000-000000000001',
      '3e9b6a40-0000-4000-8000-000000000002',
      '3e9b6a40-0000-4000-8000-000000000003',
    ]);
  }, 60_000);

  test('counts them in correlations', async () => {
    const onMatchTable = async () => {};
    const outcome = await withConnection(folder, (connection) =>
      huntRules(connection, rulesOf(CORRELATION), {}, { onMatchTable, explained: 0 }),
    );

    expect(outcome.hits).toHaveLength(1);
    expect(outcome.hits[0]?.event_uids.map((uid) => uid.slice(-2))).toEqual([':0', ':1']);
  }, 60_000);
});
