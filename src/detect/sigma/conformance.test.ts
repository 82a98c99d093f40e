import { describe, expect, test } from 'vitest';
import { CORRELATION_CASES, MATCH_CASES } from './conformance-cases.ts';
import { parseRuleText } from './parse.ts';
import { RuleSet } from './rule-set.ts';
import { cloudtrailEvent, cloudtrailRule } from './test-events.ts';

describe('in-memory backend conformance', () => {
  test.each(MATCH_CASES)('$name', ({ detection, record, expected }) => {
    const parsed = parseRuleText(cloudtrailRule(detection), 'case.yml');
    expect(parsed.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(parsed.rules).toHaveLength(1);

    const set = new RuleSet(parsed.rules);
    expect(set.issues).toEqual([]);
    expect(set.match(cloudtrailEvent(record)).length === 1).toBe(expected);
  });
});

describe('in-memory correlation conformance', () => {
  test.each(CORRELATION_CASES)('$name', ({ rules, events, expected, emitted }) => {
    const parsed = parseRuleText(rules, 'case.yml');
    expect(parsed.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    const set = new RuleSet(parsed.rules);
    expect(set.issues).toEqual([]);

    const titles = new Map(parsed.rules.map((rule) => [rule.id, rule.title]));
    const reported: { title: string; event: number }[] = [];
    events.forEach(({ time, record }, index) => {
      for (const match of set.match(cloudtrailEvent(record, `e${index}`, time))) {
        reported.push({ title: titles.get(match.rule_id) ?? '?', event: index });
      }
    });

    const hits = set.finish().map((hit) => ({
      title: titles.get(hit.rule_id),
      events: hit.event_uids.map((uid) => Number(uid.slice(1))).sort((a, b) => a - b),
      group: hit.group,
    }));
    expect(hits).toEqual(expected);
    if (emitted !== undefined) expect(reported).toEqual(emitted);
  });
});
