/**
 * In-memory state of correlation rules: base-rule matches are kept per correlation and group,
 * and evaluated when the stream ends. Correlations may refer to other correlations; those are
 * evaluated first and their hits count as occurrences.
 *
 * NOTE: memory grows with the number of base-rule matches (not with the number of events): each
 * match keeps its time, uid and rule index in its group's columns and, for value_* types, the
 * field's values. A match without values costs an estimated 100 bytes. A hit keeps at most
 * `MAX_HIT_UIDS` event uids.
 */
import type { Event } from '../../core/event.ts';
import type { CorrelationHit } from '../types.ts';
import { evaluateGroup, type Occurrence } from './correlation-window.ts';
import { compileAccessor, type FieldAccessor, flattenValues, valueText } from './fields.ts';
import type { CorrelationRule, SigmaRule } from './model.ts';

/** Event uids kept per correlation hit; the first ones in time order. */
export const MAX_HIT_UIDS = 100;

/** The link from one referenced rule to a correlation it feeds. */
interface Feed {
  correlation: CorrelationState;
  /** Index of the rule in the correlation's `rules` list. */
  rule: number;
  groupFields: FieldAccessor[];
  valueField: FieldAccessor | null;
}

/**
 * The occurrences of one group in arrival order, one array per field, so a base-rule match costs
 * three array slots and its uid instead of an `Occurrence` object with two arrays.
 */
interface GroupOccurrences {
  times: number[];
  /** A base-rule match's event uid, or the uids of a chained correlation's hit. */
  uids: (string | string[])[];
  rules: number[];
  /** The field's texts per occurrence; `NO_VALUES` where there are none. */
  values: string[][];
}

/** The shared value list of occurrences without values. */
const NO_VALUES: string[] = [];

/** The groups of one correlation rule. */
export interface CorrelationState {
  rule: CorrelationRule;
  /** Group key (JSON of the group values) → its occurrences. */
  groups: Map<string, GroupOccurrences>;
}

/** Collects base-rule matches and evaluates correlations over them. */
export class CorrelationEngine {
  readonly #feeds = new Map<string, Feed[]>();
  readonly #states: CorrelationState[];
  /** Correlation id → states of the correlations that refer to it. */
  readonly #chained = new Map<string, { state: CorrelationState; rule: number }[]>();

  /**
   * `order` lists the correlations so that each comes after every correlation it refers to;
   * `resolve` maps a reference (id or name) to the rule it names.
   */
  constructor(order: CorrelationRule[], resolve: (reference: string) => SigmaRule | undefined) {
    this.#states = order.map((rule) => ({ rule, groups: new Map() }));
    for (const state of this.#states) {
      for (const [index, reference] of state.rule.rules.entries()) {
        const target = resolve(reference);
        if (target === undefined) continue;
        if (target.kind === 'correlation') {
          const list = this.#chained.get(target.id) ?? [];
          list.push({ state, rule: index });
          this.#chained.set(target.id, list);
          continue;
        }
        const feeds = this.#feeds.get(target.id) ?? [];
        feeds.push(feedFor(state, target, index));
        this.#feeds.set(target.id, feeds);
      }
    }
  }

  /** Whether matches of the rule feed any correlation. */
  feeds(ruleId: string): boolean {
    return this.#feeds.has(ruleId);
  }

  /** Records a match of a base rule. */
  add(ruleId: string, event: Event): void {
    const time = Date.parse(event.time);
    if (Number.isNaN(time)) return;

    for (const feed of this.#feeds.get(ruleId) ?? []) {
      const group = feed.groupFields.map((access) => firstText(access(event.raw)));
      const values = feed.valueField === null ? NO_VALUES : allTexts(feed.valueField(event.raw));
      push(feed.correlation, group, time, event.uid, feed.rule, values);
    }
  }

  /** Evaluates every correlation over what was added. */
  finish(): CorrelationHit[] {
    const hits: CorrelationHit[] = [];
    for (const state of this.#states) {
      const own = evaluate(state);
      hits.push(...own);
      this.#forward(state.rule, own);
    }
    return hits;
  }

  /** Turns the hits of a correlation into occurrences of the correlations chained to it. */
  #forward(rule: CorrelationRule, own: CorrelationHit[]): void {
    for (const { state, rule: index } of this.#chained.get(rule.id) ?? []) {
      const fields = state.rule.groupBy.map((name) => aliasedField(state.rule, name, rule));
      for (const hit of own) {
        const group = fields.map((field) => hit.group[field] ?? '');
        const time = Date.parse(hit.last_seen);
        push(state, group, time, hit.event_uids, index, NO_VALUES);
      }
    }
  }
}

function feedFor(state: CorrelationState, target: SigmaRule, index: number): Feed {
  const rule = state.rule;
  return {
    correlation: state,
    rule: index,
    groupFields: rule.groupBy.map((name) => compileAccessor(aliasedField(rule, name, target))),
    valueField: rule.field === null ? null : compileAccessor(rule.field),
  };
}

/** Resolves a group-by name (possibly an alias) to a field of one referenced rule's events. */
export function aliasedField(rule: CorrelationRule, name: string, target: SigmaRule): string {
  const alias = rule.aliases[name];
  if (alias === undefined) return name;
  return alias[target.name ?? ''] ?? alias[target.id] ?? name;
}

function push(
  state: CorrelationState,
  group: string[],
  time: number,
  uids: string | string[],
  rule: number,
  values: string[],
): void {
  const key = JSON.stringify(group);
  let occurrences = state.groups.get(key);
  if (occurrences === undefined) {
    occurrences = { times: [], uids: [], rules: [], values: [] };
    state.groups.set(key, occurrences);
  }
  occurrences.times.push(time);
  occurrences.uids.push(uids);
  occurrences.rules.push(rule);
  occurrences.values.push(values.length === 0 ? NO_VALUES : values);
}

/** Builds the `Occurrence` objects of one group, sorted by time, for its evaluation. */
function sortedOccurrences(columns: GroupOccurrences): Occurrence[] {
  const occurrences: Occurrence[] = columns.times.map((time, index) => {
    const uids = columns.uids[index]!;
    return {
      time,
      uids: typeof uids === 'string' ? [uids] : uids,
      rule: columns.rules[index]!,
      values: columns.values[index]!,
    };
  });
  return occurrences.sort((a, b) => a.time - b.time);
}

function firstText(found: { values: unknown[] }): string {
  for (const value of flattenValues(found.values)) {
    const text = valueText(value);
    if (text !== null) return text;
  }
  return '';
}

function allTexts(found: { values: unknown[] }): string[] {
  return flattenValues(found.values)
    .map(valueText)
    .filter((text): text is string => text !== null);
}

function evaluate(state: CorrelationState): CorrelationHit[] {
  const rule = state.rule;
  const hits: CorrelationHit[] = [];
  for (const [key, columns] of [...state.groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sorted = sortedOccurrences(columns);
    const values = JSON.parse(key) as string[];
    const group = Object.fromEntries(rule.groupBy.map((name, i) => [name, values[i] ?? '']));
    const found = evaluateGroup(
      rule.type,
      sorted,
      rule.timespanMs,
      rule.condition,
      rule.rules.length,
    );
    for (const hit of found) {
      hits.push({
        rule_id: rule.id,
        event_uids: cappedUids(hit.members),
        first_seen: new Date(hit.first).toISOString(),
        last_seen: new Date(hit.last).toISOString(),
        group,
      });
    }
  }
  return hits;
}

function cappedUids(members: Occurrence[]): string[] {
  const uids = new Set<string>();
  for (const member of members) {
    for (const uid of member.uids) {
      if (uids.size >= MAX_HIT_UIDS) return [...uids];
      uids.add(uid);
    }
  }
  return [...uids];
}
