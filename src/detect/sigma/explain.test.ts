import { describe, expect, test } from 'vitest';
import { compileRule } from './compile.ts';
import { MATCH_CASES } from './conformance-cases.ts';
import { compileExplainer, explainMatch, type MatchReason } from './explain.ts';
import type { LogSourceRoute } from './logsource.ts';
import type { DetectionRule } from './model.ts';
import { parseRuleText } from './parse.ts';
import { RuleSet } from './rule-set.ts';
import { cloudtrailEvent, cloudtrailRule } from './test-events.ts';

function ruleOf(detection: string): DetectionRule {
  const parsed = parseRuleText(cloudtrailRule(detection), 'rule.yml');
  expect(parsed.issues).toEqual([]);
  return parsed.rules[0] as DetectionRule;
}

const reasonsOf = (detection: string, record: Record<string, unknown>) =>
  explainMatch(ruleOf(detection), record)?.reasons ?? null;

const brief = (reasons: MatchReason[] | null) =>
  reasons?.map(({ search, field, value, expected }) => ({ search, field, value, expected }));

describe('match explanations', () => {
  test('fields, values and modifiers of a selection', () => {
    const detection = `selection:
  eventName: StopLogging
  userAgent|contains|all: [python, requests]
condition: selection`;
    const record = { eventName: 'StopLogging', userAgent: 'python-requests/2.31' };
    const explanation = explainMatch(ruleOf(detection), record);

    expect(explanation?.rule_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(explanation?.reasons).toEqual([
      {
        search: 'selection',
        field: 'eventName',
        modifiers: [],
        value: 'StopLogging',
        expected: 'StopLogging',
      },
      {
        search: 'selection',
        field: 'userAgent',
        modifiers: ['contains', 'all'],
        value: 'python-requests/2.31',
        expected: '*python*',
      },
      {
        search: 'selection',
        field: 'userAgent',
        modifiers: ['contains', 'all'],
        value: 'python-requests/2.31',
        expected: '*requests*',
      },
    ]);
  });

  test('only matching alternatives are reasons', () => {
    const detection = `console:
  eventName: ConsoleLogin
api:
  - eventName: GetSessionToken
  - eventSource: sts.amazonaws.com
filter:
  userIdentity.type: AWSService
condition: (console or api) and not filter`;
    const record = { eventName: 'AssumeRole', eventSource: 'sts.amazonaws.com' };

    expect(brief(reasonsOf(detection, record))).toEqual([
      {
        search: 'api',
        field: 'eventSource',
        value: 'sts.amazonaws.com',
        expected: 'sts.amazonaws.com',
      },
    ]);
    expect(reasonsOf(detection, { ...record, userIdentity: { type: 'AWSService' } })).toBeNull();
  });

  test('keyword and array element values', () => {
    const keyword = reasonsOf('keywords:\n  - mimikatz\ncondition: keywords', {
      a: { b: ['x', 'run mimikatz now'] },
    });
    expect(brief(keyword)).toEqual([
      { search: 'keywords', field: null, value: 'run mimikatz now', expected: '*mimikatz*' },
    ]);

    const array = reasonsOf('s:\n  tags|startswith: prod\ncondition: s', {
      tags: ['dev', 'prod-1'],
    });
    expect(brief(array)).toEqual([
      { search: 's', field: 'tags', value: 'prod-1', expected: 'prod*' },
    ]);
  });

  test('expected text of each value test', () => {
    const cases: [string, Record<string, unknown>, unknown, string][] = [
      ["a|re: '^x+$'", { a: 'xx' }, 'xx', '^x+$'],
      ['a|cidr: 10.0.0.0/8', { a: '10.1.2.3' }, '10.1.2.3', '10.0.0.0/8'],
      ['a|gt: 5', { a: 7 }, 7, 'gt 5'],
      ['a|hour|lt: 6', { a: '2024-05-01T03:00:00Z' }, '2024-05-01T03:00:00Z', 'hour lt 6'],
      ['a: null', {}, null, 'null'],
      ['a|exists: true', { a: 'set' }, 'set', 'exists'],
      ['a|exists: false', {}, null, 'missing'],
      ['a|neq: x', { a: 'y' }, 'y', 'x'],
      ['a|fieldref: b', { a: 'same', b: 'same' }, 'same', 'b'],
      ['a: 42', { a: '42' }, '42', '42'],
      ["a: 'C:\\Win\\x*.exe'", { a: 'C:\\Win\\x1.exe' }, 'C:\\Win\\x1.exe', 'C:\\\\Win\\\\x*.exe'],
      ["a: 'lit\\*'", { a: 'lit*' }, 'lit*', 'lit\\*'],
    ];
    for (const [item, record, value, expected] of cases) {
      const [reason] = reasonsOf(`s:\n  ${item}\ncondition: s`, record) ?? [];
      expect(reason?.value, item).toEqual(value);
      expect(reason?.expected, item).toBe(expected);
    }
  });

  test('counted quantifier keeps every holding search', () => {
    const detection = 'a:\n  x: 1\nb:\n  y: 2\nc:\n  z: 3\ncondition: 2 of them';

    expect(brief(reasonsOf(detection, { x: 1, z: 3 }))?.map((r) => r.search)).toEqual(['a', 'c']);
    expect(reasonsOf(detection, { x: 1 })).toBeNull();
  });

  test('explainer agrees with matcher on conformance cases', () => {
    for (const { name, detection, record, expected } of MATCH_CASES) {
      const parsed = parseRuleText(cloudtrailRule(detection), 'case.yml');
      const rule = parsed.rules[0] as DetectionRule;
      const predicate = compileRule(rule);
      const explainer = compileExplainer(rule);
      if (typeof predicate !== 'function' || typeof explainer !== 'function') {
        throw new Error(`${name}: not compiled`);
      }

      expect(predicate(record), name).toBe(expected);
      expect(explainer(record) !== null, name).toBe(expected);
    }
  });

  test('rule set explains with its field map', () => {
    const routes: LogSourceRoute[] = [
      {
        product: 'aws',
        service: 'cloudtrail',
        category: null,
        source: 'aws.cloudtrail',
        mapField: (field) => (field === 'user' ? 'userIdentity.userName' : field),
      },
    ];
    const rule = ruleOf('s:\n  user: alice\ncondition: s');
    const set = new RuleSet([rule], { routes });
    const event = cloudtrailEvent({ userIdentity: { userName: 'alice' } });

    expect(set.match(event)).toHaveLength(1);
    expect(brief(set.explain(rule.id, event)?.reasons ?? null)).toEqual([
      { search: 's', field: 'user', value: 'alice', expected: 'alice' },
    ]);
    expect(set.explain(rule.id, cloudtrailEvent({ userIdentity: { userName: 'bob' } }))).toBeNull();
    expect(set.explain('no-such-rule', event)).toBeNull();
  });
});
