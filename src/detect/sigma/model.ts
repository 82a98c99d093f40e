/**
 * The validated Sigma rule model (Sigma 2.1). It is backend-neutral: the in-memory matcher
 * compiles it to closures, and a SQL compiler can walk the same tree.
 */
import type { Level } from '../types.ts';

/** One piece of a Sigma string value: literal text or an unescaped wildcard. */
export type PatternPart =
  | { kind: 'text'; text: string }
  /** `*`: any run of characters, possibly empty. */
  | { kind: 'any' }
  /** `?`: exactly one character. */
  | { kind: 'one' };

/** A string value after escapes and wildcards are resolved; whole-value match. */
export interface Pattern {
  parts: PatternPart[];
}

/** Numeric comparison operators of the `gt`/`gte`/`lt`/`lte` modifiers and plain equality. */
export type CompareOp = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';

/** Date parts extracted by the time modifiers. */
export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** One value test applied to a field value (or, for keywords, to every value in the record). */
export type ValueTest =
  /** Whole-value match of text; `cased` false compares lower-cased text. */
  | { kind: 'pattern'; pattern: Pattern; cased: boolean }
  /** Plain YAML number or boolean: equal by value, or by its text. */
  | { kind: 'literal'; value: number | boolean }
  /** `re` modifier; the source is an RE2 regular expression, searched anywhere in the text. */
  | { kind: 'regex'; source: string; flags: { i: boolean; m: boolean; s: boolean } }
  | { kind: 'cidr'; network: string }
  | { kind: 'compare'; op: CompareOp; value: number }
  /** `null` value: the field is missing or null. */
  | { kind: 'null' }
  /** `exists` modifier: the field is present (even when null) or absent. */
  | { kind: 'exists'; present: boolean }
  /** `fieldref` modifier: equal to the value of another field of the same event. */
  | { kind: 'fieldref'; field: string; cased: boolean }
  /** Time modifiers: a date part of the field's value, compared to a number. */
  | { kind: 'time'; part: TimePart; op: CompareOp; value: number }
  /** `expand` modifier: a `%name%` placeholder, resolved when a rule set is built. */
  | { kind: 'placeholder'; name: string; modifiers: string[] };

/** A value test, optionally negated by the `neq` modifier. */
export interface ValueMatcher {
  test: ValueTest;
  negate: boolean;
}

/** A leaf of a search: one field (or all values, for keywords) against a list of values. */
export interface FieldItem {
  kind: 'field';
  /** Field name as written in the rule; `null` for a keyword search over the whole record. */
  field: string | null;
  /** Modifiers as written, for reports and SQL compilers. */
  modifiers: string[];
  /** `any` joins the values with OR, `all` with AND (the `all` modifier). */
  join: 'any' | 'all';
  values: ValueMatcher[];
}

/** The tree of one search identifier: maps are AND, lists are OR. */
export type SearchNode =
  | FieldItem
  | { kind: 'and'; children: SearchNode[] }
  | { kind: 'or'; children: SearchNode[] };

/** The parsed condition, with identifier patterns already resolved to search names. */
export type ConditionNode =
  | { kind: 'search'; name: string }
  | { kind: 'and'; children: ConditionNode[] }
  | { kind: 'or'; children: ConditionNode[] }
  | { kind: 'not'; child: ConditionNode }
  /** `N of …`: at least `min` of the children match. */
  | { kind: 'at-least'; min: number; children: ConditionNode[] };

/** The `logsource` section as written. */
export interface LogSource {
  product: string | null;
  service: string | null;
  category: string | null;
}

/** Metadata shared by single-event and correlation rules. */
export interface RuleHeader {
  id: string;
  /** Whether `id` was derived from the file and title because the rule has none. */
  derivedId: boolean;
  /** The rule's `name`, which correlation rules may refer to instead of its id. */
  name: string | null;
  title: string;
  status: string | null;
  description: string;
  references: string[];
  author: string | null;
  date: string | null;
  modified: string | null;
  tags: string[];
  level: Level;
  falsepositives: string[];
  fields: string[];
  related: { id: string; type: string }[];
  taxonomy: string | null;
  license: string | null;
  scope: string[];
  /** File the rule was read from, as given to the parser. */
  file: string;
  /** One-based line of the rule's YAML document. */
  line: number;
}

/** A single-event Sigma rule. */
export interface DetectionRule extends RuleHeader {
  kind: 'detection';
  logsource: LogSource;
  /** Search identifiers by name. */
  searches: Record<string, SearchNode>;
  condition: ConditionNode;
  /**
   * Ids of the Sigma filters applied to the rule, in the order applied. Each one added its
   * searches under `filter.<filter id>.<search name>` and turned the condition into
   * `(condition) and not (filter condition)`. Absent when no filter applies.
   */
  filters?: string[];
}

/**
 * A Sigma filter (Sigma 2.1 filters specification): searches and a condition that suppress
 * matches of the rules it names. Filters are applied to the model by `applyFilters`, so a
 * backend sees only the filtered rules.
 */
export interface SigmaFilter extends RuleHeader {
  kind: 'filter';
  logsource: LogSource;
  /** Ids or names of the rules it applies to, as written. */
  rules: string[];
  searches: Record<string, SearchNode>;
  /** The events to suppress. */
  condition: ConditionNode;
}

export type CorrelationType =
  | 'event_count'
  | 'value_count'
  | 'temporal'
  | 'temporal_ordered'
  | 'value_sum'
  | 'value_avg'
  | 'value_percentile';

/** The count condition of a correlation: every bound present must hold. */
export interface CountCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  neq?: number;
}

/** A Sigma correlation rule over the matches of other rules. */
export interface CorrelationRule extends RuleHeader {
  kind: 'correlation';
  type: CorrelationType;
  /** Ids or names of the rules it correlates, as written. */
  rules: string[];
  groupBy: string[];
  /** Alias name → (rule name or id → field name in that rule's events). */
  aliases: Record<string, Record<string, string>>;
  /** Window length in milliseconds. */
  timespanMs: number;
  condition: CountCondition;
  /** Field whose values are counted, summed or averaged (`condition.field`). */
  field: string | null;
  /** Whether the referenced rules are also reported on their own. */
  generate: boolean;
}

export type SigmaRule = DetectionRule | CorrelationRule;
