import { describe, expect, test } from 'vitest';
import { CorrelationEngine, type OccurrenceSink } from './correlation-engine.ts';
import type { CorrelationRule, SigmaRule } from './model.ts';
import { parseRuleText } from './parse.ts';
import { RuleSet } from './rule-set.ts';
import { cloudtrailEvent, cloudtrailRule } from './test-events.ts';

const BASE_DETECTION = "s:\n  eventName: Get\n  userIdentity.arn|contains: ':'\ncondition: s";

// Two correlations over one base rule: one groups by a field the base rule reads too, so the
// record view has it cached, the other by fields only the feed reads, with values that fan out.
const RULES = `title: by arn
correlation:
  type: event_count
  rules: [base]
  group-by: [userIdentity.arn]
  timespan: 1h
  condition: { gte: 1 }
---
title: by pair
correlation:
  type: value_count
  rules: [base]
  group-by: [user.name, tags.key]
  timespan: 1h
  condition: { field: items.id, gte: 1 }
---
${cloudtrailRule(BASE_DETECTION, 'base')}name: base
`;

const RECORDS: Record<string, unknown>[] = [
  { eventName: 'Get', userIdentity: { arn: 'arn:aws:iam::1:user/Alice' }, user: { name: 'Bo' } },
  {
    eventName: 'Get',
    userIdentity: { arn: 'arn:x:"quoted"' },
    user: { name: 7 },
    tags: [{ key: 'A' }, { key: 'b' }],
    items: [{ id: 'X1' }, { id: null }, { id: ['y', 2, { z: 1 }] }],
  },
  {
    eventName: 'Get',
    'userIdentity.arn': 'arn:dotted',
    'user.name': 'literal',
    tags: { key: ['K1', 'K2'] },
    items: { id: { nested: true } },
  },
  { eventName: 'Get', userIdentity: { arn: 'arn:a' }, user: null, tags: [], items: [] },
  { eventName: 'Put', userIdentity: { arn: 'arn:not-matched' } },
];

type Recorded = [number, string, number, string | readonly string[], number, readonly string[]];

function recorder(): { sink: OccurrenceSink; seen: Recorded[] } {
  const seen: Recorded[] = [];
  const sink: OccurrenceSink = {
    add: (correlation, group, time, uids, rule, values) => {
      seen.push([correlation, group, time, uids, rule, [...values]]);
    },
  };
  return { sink, seen };
}

describe('correlation feeds', () => {
  test('view feeds equal raw record feeds', () => {
    const rules = parseRuleText(RULES, 'rules.yml').rules;
    const viewed = recorder();
    const set = new RuleSet(rules, { occurrences: viewed.sink });
    expect(set.issues).toEqual([]);

    const direct = recorder();
    const correlations = rules.filter(
      (rule): rule is CorrelationRule => rule.kind === 'correlation',
    );
    const byName = new Map<string, SigmaRule>(rules.map((rule) => [rule.name ?? rule.id, rule]));
    const engine = new CorrelationEngine(correlations, (name) => byName.get(name), direct.sink);
    const baseId = byName.get('base')!.id;

    for (const [index, raw] of RECORDS.entries()) {
      const event = cloudtrailEvent(raw, `e:${index}`, `2024-05-01T10:0${index}:00.000Z`);
      set.match(event);
      if (raw.eventName === 'Get') engine.add(baseId, event);
    }
    expect(viewed.seen).toEqual(direct.seen);
    expect(viewed.seen).toHaveLength(8);
    expect(viewed.seen[1]).toEqual([1, '["Bo",""]', Date.UTC(2024, 4, 1, 10, 0), 'e:0', 0, []]);
    expect(viewed.seen[3]![1]).toBe('["7","A"]');
    expect(viewed.seen[3]![5]).toEqual(['X1', 'y', '2', '{"z":1}']);
    expect(viewed.seen[4]![1]).toBe('["arn:dotted"]');
    expect(viewed.seen[5]![1]).toBe('["literal","K1"]');
  });
});
