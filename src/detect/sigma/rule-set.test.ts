import { describe, expect, test } from 'vitest';
import { loadRules } from './load.ts';
import type { LogSourceRoute } from './logsource.ts';
import { parseRuleText } from './parse.ts';
import { RuleSet } from './rule-set.ts';
import { cloudtrailEvent, cloudtrailRule } from './test-events.ts';

const rulesOf = (text: string) => parseRuleText(text, 'rule.yml').rules;

describe('RuleSet', () => {
  test('unknown logsource routed nowhere', () => {
    const text = `title: w
logsource: { product: windows, service: security }
detection:
  s: { EventID: 4625 }
  condition: s
`;
    const set = new RuleSet(rulesOf(text));
    expect(set.issues.map((issue) => `${issue.severity}:${issue.code}`)).toEqual([
      'warning:unknown_logsource',
    ]);
    expect(set.match(cloudtrailEvent({ EventID: 4625 }))).toEqual([]);
    expect(set.meta()).toEqual([]);
  });

  test('rule routed to absent source', () => {
    const set = new RuleSet(rulesOf(cloudtrailRule('s:\n  a: x\ncondition: s')), {
      sources: ['gcp.audit'],
    });
    expect(set.issues.map((issue) => issue.code)).toEqual(['source_unavailable']);
  });

  test('events of other sources not matched', () => {
    const set = new RuleSet(rulesOf(cloudtrailRule('s:\n  a: x\ncondition: s')));
    const event = { ...cloudtrailEvent({ a: 'x' }), source: 'k8s.audit' };
    expect(set.match(event)).toEqual([]);
  });

  test('field map renames fields', () => {
    const routes: LogSourceRoute[] = [
      {
        product: 'aws',
        service: 'cloudtrail',
        category: null,
        source: 'aws.cloudtrail',
        mapField: (field) => (field === 'user' ? 'userIdentity.userName' : field),
      },
    ];
    const set = new RuleSet(rulesOf(cloudtrailRule('s:\n  user: alice\ncondition: s')), { routes });
    expect(set.match(cloudtrailEvent({ userIdentity: { userName: 'alice' } }))).toHaveLength(1);
  });

  test('expand without placeholders refused', () => {
    const rules = rulesOf(cloudtrailRule("s:\n  a|expand: '%admins%'\ncondition: s"));
    const refused = new RuleSet(rules);
    expect(refused.issues.map((issue) => issue.code)).toEqual(['unresolved_placeholder']);

    const set = new RuleSet(rules, { placeholders: { admins: ['root', 'admin*'] } });
    expect(set.issues).toEqual([]);
    expect(set.match(cloudtrailEvent({ a: 'administrator' }))).toHaveLength(1);
    expect(set.match(cloudtrailEvent({ a: 'alice' }))).toHaveLength(0);
  });

  test('duplicate ids skipped', () => {
    const text = `${cloudtrailRule('s:\n  a: x\ncondition: s')}id: 0e95725d-7320-415d-80f7-004da920fc11\n`;
    const set = new RuleSet([...rulesOf(text), ...rulesOf(text)]);
    expect(set.issues.map((issue) => issue.code)).toEqual(['duplicate_id']);
    expect(set.issues[0]?.severity).toBe('error');
    expect(set.meta()).toHaveLength(1);
  });

  test('meta carries tactics and techniques', () => {
    const text = `${cloudtrailRule('s:\n  a: x\ncondition: s')}tags:
  - attack.persistence
  - attack.t1098.001
  - attack.T1078
  - attack.g0016
  - attack.s0002
  - cve.2021-44228
level: high
`;
    const [meta] = new RuleSet(rulesOf(text)).meta();
    expect(meta!.tactics).toEqual(['persistence']);
    expect(meta!.techniques).toEqual(['T1098.001', 'T1078']);
    expect(meta!.level).toBe('high');
    expect(meta!.file).toBe('rule.yml');
  });

  test('unknown correlation reference refused', () => {
    const text = `title: c
correlation:
  type: event_count
  rules: [nothing]
  timespan: 1h
  condition: { gte: 1 }
`;
    const set = new RuleSet(rulesOf(text));
    expect(set.issues.map((issue) => issue.code)).toEqual(['unknown_rule_reference']);
  });

  test('value_percentile accepted', () => {
    const text = `title: c
correlation:
  type: value_percentile
  rules: [base]
  timespan: 1h
  condition: { field: x, lte: 1 }
---
${cloudtrailRule('s:\n  a: x\ncondition: s', 'base')}name: base
`;
    const set = new RuleSet(rulesOf(text));
    expect(set.issues).toEqual([]);
    expect(set.meta().map((meta) => meta.title)).toEqual(['c', 'base']);
  });

  test('catastrophic regex finishes quickly', () => {
    const set = new RuleSet(rulesOf(cloudtrailRule("s:\n  a|re: '(a+)+$'\ncondition: s")));
    const started = performance.now();
    const matches = set.match(cloudtrailEvent({ a: `${'a'.repeat(50_000)}!` }));
    expect(performance.now() - started).toBeLessThan(1000);
    // The trailing `!` makes `$` fail, the case where a backtracking engine explodes.
    expect(matches).toHaveLength(0);
  });

  test('catastrophic wildcard finishes quickly', () => {
    const set = new RuleSet(rulesOf(cloudtrailRule("s:\n  a: '*a*a*a*a*a*a*b'\ncondition: s")));
    const started = performance.now();
    const matches = set.match(cloudtrailEvent({ a: 'a'.repeat(5_000) }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(matches).toHaveLength(0);
  });
});

describe('prefilter', () => {
  const detections = [
    's:\n  eventName: CreateUser\ncondition: s',
    's:\n  eventSource: iam.amazonaws.com\n  eventName: [CreateUser, DeleteUser]\ncondition: s',
    'a:\n  eventName: PutBucketPolicy\nb:\n  eventName: DeleteBucketPolicy\ncondition: a or b',
    'a:\n  eventName: StopLogging\nf:\n  userIdentity.type: Root\ncondition: a and not f',
    's:\n  eventName|startswith: Delete\ncondition: s',
    'a:\n  eventName: CreateUser\nb:\n  errorCode: AccessDenied\ncondition: a or b',
    's:\n  - eventName: CreateUser\n  - eventName: createuser\n    eventSource: x\ncondition: s',
    's:\n  eventName|cased: CreateUser\ncondition: s',
    's:\n  port: 443\ncondition: s',
    's:\n  flag: true\ncondition: s',
    'keywords:\n  - CreateUser\ncondition: keywords',
    's:\n  eventName: CreateUser\n  n: null\ncondition: s',
    'a:\n  eventName: X\nb:\n  eventName: Y\nc:\n  eventSource: Z\ncondition: 2 of them',
  ];
  const records: Record<string, unknown>[] = [
    { eventName: 'CreateUser', eventSource: 'iam.amazonaws.com' },
    { eventName: 'createuser' },
    { eventName: ['CreateUser', 'Other'] },
    { eventName: 'DeleteUser', eventSource: 'iam.amazonaws.com' },
    { eventName: 'DeleteBucketPolicy' },
    { eventName: 'StopLogging', userIdentity: { type: 'Root' } },
    { eventName: 'StopLogging', userIdentity: { type: 'IAMUser' } },
    { errorCode: 'AccessDenied' },
    { port: 443 },
    { port: '443' },
    { flag: 'TRUE' },
    { eventName: { nested: 'CreateUser' } },
    { eventName: 'x', eventSource: 'z' },
    { eventName: 'y', eventSource: 'z' },
    {},
  ];

  test('prefiltered and unfiltered sets agree', () => {
    const rules = detections.flatMap((detection, index) =>
      rulesOf(cloudtrailRule(detection, `rule ${index}`)),
    );
    expect(rules).toHaveLength(detections.length);
    const filtered = new RuleSet(rules);
    const unfiltered = new RuleSet(rules, { prefilter: false });

    for (const [index, record] of records.entries()) {
      const event = cloudtrailEvent(record, `e${index}`);
      expect(filtered.match(event), JSON.stringify(record)).toEqual(unfiltered.match(event));
    }
  });

  test('prefilter agrees on cloud rules', { timeout: 60_000 }, async () => {
    const loaded = await loadRules(['/work/shared/data/sigma/rules-cloud/rules/cloud/aws']);
    const placeholders = {};
    const filtered = new RuleSet(loaded.rules, { placeholders });
    const unfiltered = new RuleSet(loaded.rules, { placeholders, prefilter: false });
    const names = ['ConsoleLogin', 'StopLogging', 'CreateAccessKey', 'PutBucketPolicy', 'Other'];
    const sources = ['iam.amazonaws.com', 's3.amazonaws.com', 'cloudtrail.amazonaws.com'];
    let total = 0;
    for (const eventName of names) {
      for (const eventSource of sources) {
        const event = cloudtrailEvent({ eventName, eventSource, userIdentity: { type: 'Root' } });
        const matches = filtered.match(event);
        total += matches.length;
        expect(matches).toEqual(unfiltered.match(event));
      }
    }
    expect(total).toBeGreaterThan(0);
  });
});
