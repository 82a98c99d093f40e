import { describe, expect, it } from 'vitest';
import { actorsCell, cellQuery } from './detections-view.ts';
import type { RuleFinding } from './types.ts';

const rule = (rule_id: string, tactics: string[], techniques: string[]): RuleFinding => ({
  rule_id,
  title: rule_id,
  severity: 'high',
  tactics,
  techniques,
  events: 1,
  first_seen: '2024-05-16T00:00:00.000Z',
  last_seen: '2024-05-16T00:00:00.000Z',
  actors: [],
  actor_count: 0,
  correlation_hits: 0,
});

describe('heat-map cellQuery', () => {
  const rules = [
    rule('a', ['persistence'], ['T1098']),
    rule('b', ['persistence', 'privilege-escalation'], ['T1098', 'T1136']),
    rule('c', [], []),
    rule('say "hi"', ['impact'], ['T1496']),
  ];

  it('selects the rules of a cell', () => {
    expect(cellQuery(rules, 'persistence', 'T1098')).toBe('rule:"a" OR rule:"b"');
    expect(cellQuery(rules, 'privilege-escalation', 'T1136')).toBe('rule:"b"');
  });

  it('matches untagged rules under the placeholders', () => {
    expect(cellQuery(rules, '(no tactic)', '(no technique)')).toBe('rule:"c"');
  });

  it('escapes quotes in rule ids', () => {
    expect(cellQuery(rules, 'impact', 'T1496')).toBe('rule:"say \\"hi\\""');
  });
});

describe('detections actorsCell', () => {
  it('counts the actors not sent', () => {
    expect(actorsCell({ actors: ['a', 'b'], actor_count: 2 })).toBe('a, b');
    expect(actorsCell({ actors: ['a', 'b'], actor_count: 9 })).toBe('a, b and 7 more');
  });
});
