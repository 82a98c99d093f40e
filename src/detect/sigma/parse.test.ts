import { describe, expect, test } from 'vitest';
import { parseRuleText } from './parse.ts';
import { RuleSet } from './rule-set.ts';
import { cloudtrailRule } from './test-events.ts';

const codes = (text: string) => parseRuleText(text, 'rule.yml').issues.map((issue) => issue.code);

describe('parseRuleText', () => {
  test('valid rule has full metadata', () => {
    const text = `title: Key created
id: 0E95725D-7320-415D-80F7-004DA920FC11
status: test
description: A key was created.
references: [https://example.com]
author: someone
date: 2024-01-02
modified: 2024/02/03
tags: [attack.persistence, attack.t1098.001, attack.g0016, attack.s0002]
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    eventName: CreateAccessKey
  condition: selection
falsepositives: Admins
level: high
fields: [userIdentity.arn]
related:
  - id: 6c82cf5c-090d-4d57-9188-533577631108
    type: similar
name: key_created
taxonomy: sigma
license: DRL-1.1
scope: [server]
`;
    const { rules, issues } = parseRuleText(text, 'rule.yml');
    expect(issues).toEqual([]);
    const rule = rules[0]!;
    expect(rule.id).toBe('0e95725d-7320-415d-80f7-004da920fc11');
    expect(rule.level).toBe('high');
    expect(rule.falsepositives).toEqual(['Admins']);
    expect(rule.related).toEqual([{ id: '6c82cf5c-090d-4d57-9188-533577631108', type: 'similar' }]);
    expect(rule.name).toBe('key_created');
    expect(rule.scope).toEqual(['server']);
  });

  test('missing condition reported', () => {
    expect(codes(cloudtrailRule('s:\n  a: x'))).toEqual(['missing_condition']);
  });

  test('missing title, detection and level reported', () => {
    const text = 'logsource: { product: aws, service: cloudtrail }\nlevel: severe\n';
    expect(codes(text)).toEqual(['missing_title', 'invalid_level', 'missing_detection']);
  });

  test('every problem of a rule is collected', () => {
    const text = `title: t
id: not-a-uuid
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    a|contians: x
    b|re: '(unclosed'
    c|cidr: 10.0.0.0/33
    d|gt: abc
  condition: selection and missing
`;
    const { rules, issues } = parseRuleText(text, 'rule.yml');
    expect(rules).toEqual([]);
    expect(issues.map((issue) => issue.code)).toEqual([
      'invalid_id',
      'unknown_modifier',
      'invalid_regex',
      'invalid_cidr',
      'invalid_value',
      'unknown_identifier',
    ]);
  });

  test('issues carry line and field path', () => {
    const text = cloudtrailRule('selection:\n  eventName|bogus: x\ncondition: selection');
    const issue = parseRuleText(text, 'rule.yml').issues[0]!;
    expect(issue.code).toBe('unknown_modifier');
    expect(issue.file).toBe('rule.yml');
    expect(issue.line).toBe(7);
    expect(issue.field).toBe('detection.selection.eventName|bogus');
  });

  test('pipe aggregation is obsolete', () => {
    const text = cloudtrailRule('selection:\n  a: x\ncondition: selection | count() by b > 5');
    const issues = parseRuleText(text, 'rule.yml').issues;
    expect(issues.map((issue) => issue.code)).toEqual(['obsolete_aggregation']);
    expect(issues[0]!.message).toContain('correlation rule');
  });

  test('aggregation without pipe is obsolete', () => {
    const bare = cloudtrailRule('selection:\n  a: x\ncondition: count(a) by b > 5');
    expect(codes(bare)).toEqual(['obsolete_aggregation']);
    const combined = cloudtrailRule('selection:\n  a: x\ncondition: selection and max(a) >= 2');
    expect(codes(combined)).toEqual(['obsolete_aggregation']);
  });

  test('identifier named count still parses', () => {
    const text = cloudtrailRule('count:\n  a: x\ncondition: count');
    expect(codes(text)).toEqual([]);
  });

  test('global collection rules get own ids', () => {
    const text = [
      'action: global',
      'title: Collection',
      'id: 0f4a7f6e-5d0c-4b8e-9a51-3c2d1e0f9a77',
      'detection:',
      '  condition: selection',
      '---',
      'logsource: { product: aws, service: cloudtrail }',
      'detection:',
      '  selection: { eventName: A }',
      '---',
      'logsource: { product: aws, service: cloudtrail }',
      'detection:',
      '  selection: { eventName: B }',
      '',
    ].join('\n');
    const parsed = parseRuleText(text, 'rule.yml');
    expect(parsed.rules.map((rule) => rule.id)).toEqual([
      '0f4a7f6e-5d0c-4b8e-9a51-3c2d1e0f9a77',
      '0f4a7f6e-5d0c-4b8e-9a51-3c2d1e0f9a77/2',
    ]);
    expect(parsed.issues.map((issue) => issue.code)).toEqual(['collection_id']);
    expect(new RuleSet(parsed.rules).issues).toEqual([]);
  });

  test('near aggregation is obsolete', () => {
    const text = cloudtrailRule('a:\n  x: 1\nb:\n  y: 2\ncondition: a | near b');
    expect(codes(text)).toEqual(['obsolete_aggregation']);
  });

  test('condition syntax errors', () => {
    expect(codes(cloudtrailRule('a:\n  x: 1\ncondition: a and'))).toEqual(['condition_syntax']);
    expect(codes(cloudtrailRule('a:\n  x: 1\ncondition: (a'))).toEqual(['condition_syntax']);
    expect(codes(cloudtrailRule('a:\n  x: 1\ncondition: a*'))).toEqual(['condition_syntax']);
    expect(codes(cloudtrailRule('a:\n  x: 1\ncondition: 1 of b*'))).toEqual(['unknown_identifier']);
  });

  test('deep nesting rejected with a code', () => {
    const parens = `${'('.repeat(3000)}a${')'.repeat(3000)}`;
    const nots = `${'not '.repeat(50_000)}a`;
    const fine = `${'('.repeat(60)}a${')'.repeat(60)}`;

    expect(codes(cloudtrailRule(`a:\n  x: 1\ncondition: ${parens}`))).toEqual([
      'condition_too_deep',
    ]);
    expect(codes(cloudtrailRule(`a:\n  x: 1\ncondition: ${nots}`))).toEqual(['condition_too_deep']);
    expect(codes(cloudtrailRule(`a:\n  x: 1\ncondition: ${fine}`))).toEqual([]);
  });

  test('modifier combinations checked', () => {
    expect(codes(cloudtrailRule('s:\n  a|contains|startswith: x\ncondition: s'))).toEqual([
      'invalid_modifier_combination',
    ]);
    expect(codes(cloudtrailRule('s:\n  a|i: x\ncondition: s'))).toEqual([
      'invalid_modifier_combination',
    ]);
    expect(codes(cloudtrailRule("s:\n  a|base64: 'x*'\ncondition: s"))).toEqual(['invalid_value']);
    expect(codes(cloudtrailRule('s:\n  a|exists: yes\ncondition: s'))).toEqual(['invalid_value']);
  });

  test('all on one value warns', () => {
    const { rules, issues } = parseRuleText(
      cloudtrailRule('s:\n  a|contains|all: x\ncondition: s'),
      'r.yml',
    );
    expect(issues.map((issue) => `${issue.severity}:${issue.code}`)).toEqual([
      'warning:all_single_value',
    ]);
    expect(rules).toHaveLength(1);
  });

  test('yaml syntax error reported', () => {
    const issues = parseRuleText('title: [unclosed\n', 'rule.yml').issues;
    expect(issues[0]!.code).toBe('yaml_syntax');
    expect(issues[0]!.line).toBeGreaterThan(0);
  });

  test('alias bomb rejected', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) {
      const name = String.fromCharCode(98 + i);
      const prev = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`);
    }
    expect(codes(lines.join('\n'))).toContain('yaml_syntax');
  });

  test('missing id derived from file and title', () => {
    const text = cloudtrailRule('s:\n  a: x\ncondition: s', 'No id');
    const first = parseRuleText(text, 'dir/a.yml').rules[0]!;
    const again = parseRuleText(text, 'dir/a.yml').rules[0]!;
    const other = parseRuleText(text, 'dir/b.yml').rules[0]!;
    expect(first.id).toBe(again.id);
    expect(first.id).not.toBe(other.id);
    expect(first.derivedId).toBe(true);
  });

  test('multi-document file with correlation', () => {
    const text = `title: c
correlation:
  type: event_count
  rules: [base]
  group-by: [user]
  timespan: 15m
  condition: { gte: 3 }
---
${cloudtrailRule('s:\n  a: x\ncondition: s', 'base')}name: base
`;
    const { rules, issues } = parseRuleText(text, 'rule.yml');
    expect(issues).toEqual([]);
    expect(rules.map((rule) => rule.kind)).toEqual(['correlation', 'detection']);
    const correlation = rules[0]!;
    expect(correlation.kind).toBe('correlation');
    expect(correlation.kind === 'correlation' ? correlation.timespanMs : null).toBe(900_000);
  });

  test('value_count over several fields rejected', () => {
    const text = `title: c
correlation:
  type: value_count
  rules: [base]
  timespan: 1h
  condition: { field: [User, Host], gte: 2 }
`;
    const { rules, issues } = parseRuleText(text, 'c.yml');
    expect(rules).toEqual([]);
    expect(issues.map((issue) => issue.code)).toEqual(['unsupported_correlation_field']);
    expect(issues[0]!.field).toBe('correlation.condition.field');
  });

  test('correlation problems reported', () => {
    const text = `title: c
correlation:
  type: event_sum
  rules: []
  timespan: 15 minutes
  condition: { more: 3 }
`;
    expect(codes(text)).toEqual([
      'invalid_correlation_type',
      'missing_correlation_rules',
      'invalid_timespan',
      'invalid_correlation_condition',
    ]);
  });

  test('conditions no count can meet rejected', () => {
    const rule = (type: string, condition: string, rules = '[a, b]') => `title: c
correlation:
  type: ${type}
  rules: ${rules}
  group-by: [User]
  timespan: 1h
  condition: ${condition}
`;
    const impossible = [
      rule('event_count', '{ gt: 5, lt: 3 }'),
      rule('event_count', '{ lt: 1 }'),
      rule('event_count', '{ gt: 2, lt: 3 }'),
      rule('event_count', '{ eq: 2.5 }'),
      rule('event_count', '{ eq: 4, neq: 4 }'),
      rule('value_count', '{ field: Ip, lte: 0 }'),
      rule('temporal', '{ gte: 3 }'),
      rule('value_sum', '{ field: Bytes, gte: 10, lt: 10 }'),
    ];
    for (const text of impossible) {
      expect(codes(text), text).toEqual(['impossible_correlation_condition']);
    }

    const possible = [
      rule('event_count', '{ gt: 2, lt: 4 }'),
      rule('event_count', '{ lte: 1 }'),
      rule('temporal', '{ gte: 2 }'),
      rule('value_sum', '{ field: Bytes, gt: -1.5, lt: -1 }'),
      rule('value_avg', '{ field: Bytes, lt: 0.5 }'),
    ];
    for (const text of possible) expect(codes(text), text).toEqual([]);
  });

  test('global action merged into documents', () => {
    const text = `action: global
title: shared
logsource: { product: aws, service: cloudtrail }
detection:
  condition: selection
---
detection:
  selection: { eventName: A }
---
detection:
  selection: { eventName: B }
`;
    const { rules, issues } = parseRuleText(text, 'rule.yml');
    expect(issues).toEqual([]);
    expect(rules).toHaveLength(2);
    expect(rules.map((rule) => rule.title)).toEqual(['shared', 'shared']);
  });
});
