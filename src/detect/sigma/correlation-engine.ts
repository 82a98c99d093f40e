/**
 * Correlation state: base-rule matches become occurrences of the correlations they feed, each
 * with its correlation, group key, time, event uid, rule index and, for value_* types, the
 * field's values. An `OccurrenceSink` receives them; without one, the engine keeps them in
 * memory per group and `finish` evaluates them when the stream ends. Correlations may refer to
 * other correlations: those are evaluated first, and their hits become occurrences too.
 *
 * NOTE: the in-memory sink grows with the number of base-rule matches (an estimated 100 bytes
 * for a match without values). Runs over whole cases pass a sink that spills to disk instead
 * (`CorrelationSpill`).
 */
import type { Event } from '../../core/event.ts';
import type { CorrelationHit } from '../types.ts';
import {
  type GroupScan,
  groupScan,
  type Occurrence,
  type WindowHit,
} from './correlation-window.ts';
import { eventMillis } from './event-time.ts';
import { compileAccessor, type FieldAccessor, flattenValues, valueText } from './fields.ts';
import type { CorrelationRule, SigmaRule } from './model.ts';
import type { FieldTable, RecordView } from './record-view.ts';

export { MAX_HIT_UIDS } from './correlation-window.ts';

/** Receives occurrences, in the order the matches arrive. */
export interface OccurrenceSink {
  /**
   * Adds one occurrence of the correlation at position `correlation` of the plan, in the group
   * `group` (JSON of the group values), at `time` (epoch milliseconds). `uids` is a base-rule
   * match's event uid, or the uids of a chained correlation's hit.
   */
  add(
    correlation: number,
    group: string,
    time: number,
    uids: string | readonly string[],
    rule: number,
    values: readonly string[],
  ): void;
}

/** A correlation whose hits count as occurrences of another correlation. */
export interface CorrelationChain {
  /** Position of the correlation fed, in the plan. */
  to: number;
  /** Index of the referenced rule in that correlation's `rules` list. */
  rule: number;
  /** The hit's group fields that make the group of the correlation fed, in its group-by order. */
  fields: string[];
}

/** Plain data that describes how to evaluate a run's occurrences, so it can cross threads. */
export interface CorrelationPlan {
  /** Correlations in evaluation order: each after every correlation it refers to. */
  rules: CorrelationRule[];
  /** For each correlation of `rules`, the correlations its hits feed. */
  chains: CorrelationChain[][];
}

/** The link from one referenced rule to a correlation it feeds. */
interface Feed {
  correlation: number;
  /** Index of the rule in the correlation's `rules` list. */
  rule: number;
  /** The raw group-by field names, aliases resolved, in group-by order. */
  groupNames: string[];
  groupFields: FieldAccessor[];
  valueName: string | null;
  valueField: FieldAccessor | null;
}

/** A correlation a base rule feeds, and the raw fields its occurrences are grouped and counted by. */
export interface FeedFields {
  /** Position of the correlation in the engine's plan. */
  correlation: number;
  /** Index of the rule in the correlation's `rules` list. */
  rule: number;
  /** The raw group-by field names, aliases resolved, in group-by order. */
  groupNames: readonly string[];
  /** The field whose values the correlation counts or sums, or null. */
  valueName: string | null;
}

/**
 * A feed whose fields are read through the slots of one field table, so the group and value
 * fields come from the view's cache, which the rules matched on the event filled already.
 */
export interface ViewFeed {
  correlation: number;
  /** Index of the rule in the correlation's `rules` list. */
  rule: number;
  /** Slots of the group-by fields, in group-by order. */
  groupSlots: number[];
  /** Slot of the value field of value_* correlations, or -1. */
  valueSlot: number;
}

/** Turns base-rule matches into occurrences and evaluates correlations over them. */
export class CorrelationEngine {
  readonly plan: CorrelationPlan;
  readonly #feeds = new Map<string, Feed[]>();
  readonly #sink: OccurrenceSink;
  readonly #memory: MemoryOccurrences | null;
  // The last event time parsed, because an event often feeds several correlations.
  #timeText = '';
  #time = Number.NaN;

  /**
   * `order` lists the correlations so that each comes after every correlation it refers to;
   * `resolve` maps a reference (id or name) to the rule it names. Without `sink`, occurrences
   * stay in memory for `finish`.
   */
  constructor(
    order: CorrelationRule[],
    resolve: (reference: string) => SigmaRule | undefined,
    sink?: OccurrenceSink,
  ) {
    this.plan = { rules: order, chains: order.map(() => []) };
    const positions = new Map(order.map((rule, index) => [rule.id, index]));
    for (const [position, rule] of order.entries()) {
      for (const [index, reference] of rule.rules.entries()) {
        const target = resolve(reference);
        if (target === undefined) continue;
        if (target.kind === 'correlation') {
          const from = positions.get(target.id);
          const fields = rule.groupBy.map((name) => aliasedField(rule, name, target));
          if (from !== undefined)
            this.plan.chains[from]!.push({ to: position, rule: index, fields });
          continue;
        }
        const feeds = this.#feeds.get(target.id) ?? [];
        feeds.push(feedFor(rule, position, target, index));
        this.#feeds.set(target.id, feeds);
      }
    }
    this.#memory = sink === undefined ? new MemoryOccurrences(order.length) : null;
    this.#sink = sink ?? this.#memory!;
  }

  /** Whether matches of the rule feed any correlation. */
  feeds(ruleId: string): boolean {
    return this.#feeds.has(ruleId);
  }

  /** Lists the correlations a base rule's matches feed, in the order `add` adds them. */
  feedFields(ruleId: string): FeedFields[] {
    return (this.#feeds.get(ruleId) ?? []).map((feed) => ({
      correlation: feed.correlation,
      rule: feed.rule,
      groupNames: feed.groupNames,
      valueName: feed.valueName,
    }));
  }

  /** Records a match of a base rule. */
  add(ruleId: string, event: Event): void {
    const time = this.#timeOf(event);
    if (Number.isNaN(time)) return;

    for (const feed of this.#feeds.get(ruleId) ?? []) {
      const group = groupKey(feed.groupFields, event.raw);
      const values = feed.valueField === null ? NO_VALUES : allTexts(feed.valueField(event.raw));
      this.#sink.add(feed.correlation, group, time, event.uid, feed.rule, values);
    }
  }

  /**
   * Binds the feeds of a base rule to slots of `table`, for `addViewed`. Returns an empty list
   * when the rule feeds no correlation.
   */
  viewFeeds(ruleId: string, table: FieldTable): ViewFeed[] {
    return (this.#feeds.get(ruleId) ?? []).map((feed) => ({
      correlation: feed.correlation,
      rule: feed.rule,
      groupSlots: feed.groupNames.map((name) => table.slot(name)),
      valueSlot: feed.valueName === null ? -1 : table.slot(feed.valueName),
    }));
  }

  /**
   * Records a match of a base rule as `add` does, with the feeds `viewFeeds` bound to the table
   * of `view`, which must hold `event.raw`.
   */
  addViewed(feeds: readonly ViewFeed[], event: Event, view: RecordView): void {
    const time = this.#timeOf(event);
    if (Number.isNaN(time)) return;

    for (const feed of feeds) {
      const group = viewGroupKey(feed.groupSlots, view);
      const values = feed.valueSlot < 0 ? NO_VALUES : viewTexts(view, feed.valueSlot);
      this.#sink.add(feed.correlation, group, time, event.uid, feed.rule, values);
    }
  }

  #timeOf(event: Event): number {
    if (event.time !== this.#timeText) {
      this.#timeText = event.time;
      this.#time = eventMillis(event.time);
    }
    return this.#time;
  }

  /**
   * Evaluates every correlation over the occurrences kept in memory. An engine with a sink of
   * its own keeps none: evaluate what the sink received with `plan` instead.
   */
  finish(): CorrelationHit[] {
    const memory = this.#memory;
    if (memory === null) throw new Error('occurrences went to a sink; evaluate them there');

    const hits: CorrelationHit[] = [];
    for (const [position, rule] of this.plan.rules.entries()) {
      const own: CorrelationHit[] = [];
      for (const [key, occurrences] of memory.take(position)) {
        const scan = scanFor(rule);
        for (const occurrence of occurrences) scan.push(occurrence);
        own.push(...groupHits(rule, key, scan.finish()));
      }
      hits.push(...own);
      forwardHits(this.plan, position, own, memory);
    }
    return hits;
  }
}

/** Starts the evaluation of one group of `rule`. */
export function scanFor(rule: CorrelationRule): GroupScan {
  return groupScan(rule.type, rule.timespanMs, rule.condition, rule.rules.length);
}

/** Turns the window hits of the group with key `key` (JSON of its values) into hits. */
export function groupHits(
  rule: CorrelationRule,
  key: string,
  found: WindowHit[],
): CorrelationHit[] {
  if (found.length === 0) return [];
  const values = JSON.parse(key) as string[];
  const group = Object.fromEntries(rule.groupBy.map((name, i) => [name, values[i] ?? '']));
  return found.map((hit) => ({
    rule_id: rule.id,
    event_uids: hit.uids,
    first_seen: new Date(hit.first).toISOString(),
    last_seen: new Date(hit.last).toISOString(),
    group,
  }));
}

/** Adds the hits of the correlation at `position` as occurrences of the correlations it feeds. */
export function forwardHits(
  plan: CorrelationPlan,
  position: number,
  hits: readonly CorrelationHit[],
  sink: OccurrenceSink,
): void {
  for (const chain of plan.chains[position] ?? []) {
    for (const hit of hits) {
      const group = JSON.stringify(chain.fields.map((field) => hit.group[field] ?? ''));
      sink.add(chain.to, group, Date.parse(hit.last_seen), hit.event_uids, chain.rule, NO_VALUES);
    }
  }
}

function feedFor(rule: CorrelationRule, position: number, target: SigmaRule, index: number): Feed {
  const groupNames = rule.groupBy.map((name) => aliasedField(rule, name, target));
  return {
    correlation: position,
    rule: index,
    groupNames,
    groupFields: groupNames.map(compileAccessor),
    valueName: rule.field,
    valueField: rule.field === null ? null : compileAccessor(rule.field),
  };
}

/** Resolves a group-by name (possibly an alias) to a field of one referenced rule's events. */
export function aliasedField(rule: CorrelationRule, name: string, target: SigmaRule): string {
  const alias = rule.aliases[name];
  if (alias === undefined) return name;
  return alias[target.name ?? ''] ?? alias[target.id] ?? name;
}

/** The shared value list of occurrences without values. */
const NO_VALUES: readonly string[] = [];

/**
 * The occurrences of one group in arrival order, one array per field, so an occurrence costs
 * four array slots instead of an `Occurrence` object.
 */
interface GroupColumns {
  times: number[];
  /** A base-rule match's event uid, or the uids of a chained correlation's hit. */
  uids: (string | readonly string[])[];
  rules: number[];
  /** The field's texts per occurrence; `NO_VALUES` where there are none. */
  values: (readonly string[])[];
}

/** Occurrences kept in memory, per correlation and group. */
class MemoryOccurrences implements OccurrenceSink {
  readonly #groups: Map<string, GroupColumns>[];

  constructor(correlations: number) {
    this.#groups = Array.from({ length: correlations }, () => new Map());
  }

  add(
    correlation: number,
    group: string,
    time: number,
    uids: string | readonly string[],
    rule: number,
    values: readonly string[],
  ): void {
    const groups = this.#groups[correlation]!;
    let columns = groups.get(group);
    if (columns === undefined) {
      columns = { times: [], uids: [], rules: [], values: [] };
      groups.set(group, columns);
    }
    columns.times.push(time);
    columns.uids.push(uids);
    columns.rules.push(rule);
    columns.values.push(values.length === 0 ? NO_VALUES : values);
  }

  /** Removes the groups of a correlation and returns them by key, each sorted by time. */
  take(correlation: number): [string, Occurrence[]][] {
    const groups = [...this.#groups[correlation]!].sort(([a], [b]) => (a < b ? -1 : 1));
    this.#groups[correlation] = new Map();
    return groups.map(([key, columns]) => [key, sortedOccurrences(columns)]);
  }
}

/** Builds the `Occurrence` objects of one group, sorted by time, arrival order within a time. */
function sortedOccurrences(columns: GroupColumns): Occurrence[] {
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

/**
 * Returns the JSON array of the first text of each group field, written out directly because it
 * is built for every base-rule match.
 */
function groupKey(fields: FieldAccessor[], record: Record<string, unknown>): string {
  if (fields.length === 1) return `[${JSON.stringify(firstText(fields[0]!(record)))}]`;
  return JSON.stringify(fields.map((access) => firstText(access(record))));
}

/** `groupKey` of the fields in `slots`, read through the view's cache. */
function viewGroupKey(slots: number[], view: RecordView): string {
  if (slots.length === 1) return `[${JSON.stringify(firstViewText(view, slots[0]!))}]`;
  return JSON.stringify(slots.map((slot) => firstViewText(view, slot)));
}

function firstViewText(view: RecordView, slot: number): string {
  const entry = view.entry(slot);
  if (!entry.present) return '';
  for (const text of entry.texts()) if (text !== null) return text;
  return '';
}

/** `allTexts` of a slot's field, in a new array, because the view reuses its own. */
function viewTexts(view: RecordView, slot: number): string[] {
  const entry = view.entry(slot);
  const texts: string[] = [];
  if (!entry.present) return texts;
  for (const text of entry.texts()) if (text !== null) texts.push(text);
  return texts;
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
