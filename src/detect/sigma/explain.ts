/**
 * Explanations of matches: for a record a rule matched, the searches, fields and values that
 * satisfied its condition. An explainer is compiled from the same closures as the matcher but is
 * run only on demand, for records that matched, so matching itself does no extra work.
 */
import {
  type CompileOptions,
  type CompileRefusal,
  compileMatcher,
  expandPlaceholders,
  itemAccessor,
  refusalOf,
  type ValuesPredicate,
} from './compile.ts';
import type { FieldAccessor } from './fields.ts';
import { flattenValues } from './fields.ts';
import type {
  ConditionNode,
  DetectionRule,
  FieldItem,
  Pattern,
  SearchNode,
  ValueMatcher,
} from './model.ts';

/** One record value that satisfied one value of a rule. */
export interface MatchReason {
  /** Search identifier (such as `selection`) the value belongs to. */
  search: string;
  /** Field name as written in the rule; `null` for a keyword search over the whole record. */
  field: string | null;
  /** Modifier chain as written, such as `['contains', 'all']`. */
  modifiers: string[];
  /**
   * The record's value that satisfied the test, as found in the record. It is `null` for a
   * `null` or `exists: false` test, which a missing field satisfies.
   */
  value: unknown;
  /**
   * The rule's value it satisfied, as text: the pattern with its wildcards, the regular
   * expression, the network, `gt 5`, `hour lt 6`, `null`, `exists`, or `missing`. For `fieldref`
   * it is the other field's name.
   */
  expected: string;
}

/** The reasons a rule matched a record. */
export interface MatchExplanation {
  rule_id: string;
  /** Reasons in condition order; a negated search contributes none. */
  reasons: MatchReason[];
}

/** Explains a match of one rule; `null` when the rule does not match the record. */
export type MatchExplainer = (record: Record<string, unknown>) => MatchExplanation | null;

type Reasons = MatchReason[] | null;
type ReasonsOf = (record: Record<string, unknown>) => Reasons;

/**
 * Compiles the explainer of a detection rule with the options its matcher was compiled with, or
 * returns why it cannot, as `compileRule` does.
 */
export function compileExplainer(
  rule: DetectionRule,
  options: CompileOptions = {},
): MatchExplainer | CompileRefusal {
  return refusalOf(() => {
    const searches = new Map<string, ReasonsOf>();
    for (const [name, node] of Object.entries(rule.searches)) {
      searches.set(name, explainSearch(node, name, options));
    }
    const condition = explainCondition(rule.condition, searches);
    return (record) => {
      const reasons = condition(record);
      return reasons === null ? null : { rule_id: rule.id, reasons };
    };
  });
}

/** Explains one match; `null` when the rule does not match or cannot be compiled. */
export function explainMatch(
  rule: DetectionRule,
  record: Record<string, unknown>,
  options: CompileOptions = {},
): MatchExplanation | null {
  const explainer = compileExplainer(rule, options);
  return typeof explainer === 'function' ? explainer(record) : null;
}

function explainCondition(node: ConditionNode, searches: Map<string, ReasonsOf>): ReasonsOf {
  switch (node.kind) {
    case 'search':
      return searches.get(node.name) ?? (() => null);
    case 'not': {
      const child = explainCondition(node.child, searches);
      return (record) => (child(record) === null ? [] : null);
    }
    case 'and':
      return all(node.children.map((child) => explainCondition(child, searches)));
    case 'or':
      return atLeast(
        1,
        node.children.map((child) => explainCondition(child, searches)),
      );
    case 'at-least':
      return atLeast(
        node.min,
        node.children.map((child) => explainCondition(child, searches)),
      );
  }
}

function all(children: ReasonsOf[]): ReasonsOf {
  return (record) => {
    const reasons: MatchReason[] = [];
    for (const child of children) {
      const found = child(record);
      if (found === null) return null;
      reasons.push(...found);
    }
    return reasons;
  };
}

/** At least `min` children match; the reasons of every matching child are kept. */
function atLeast(min: number, children: ReasonsOf[]): ReasonsOf {
  return (record) => {
    const reasons: MatchReason[] = [];
    let holding = 0;
    for (const child of children) {
      const found = child(record);
      if (found === null) continue;
      holding++;
      reasons.push(...found);
    }
    return holding >= min ? reasons : null;
  };
}

function explainSearch(node: SearchNode, search: string, options: CompileOptions): ReasonsOf {
  if (node.kind === 'and') return all(node.children.map((c) => explainSearch(c, search, options)));
  if (node.kind === 'or') {
    return atLeast(
      1,
      node.children.map((c) => explainSearch(c, search, options)),
    );
  }
  return explainItem(expandPlaceholders(node, options), search, options);
}

function explainItem(item: FieldItem, search: string, options: CompileOptions): ReasonsOf {
  const access: FieldAccessor = itemAccessor(item, options);
  const tests = item.values.map((matcher) => ({
    matcher,
    test: compileMatcher(matcher, options),
  }));

  // With no values left (a placeholder with an empty list), `all` is true and `any` false, as
  // in the matcher.
  if (tests.length === 0) return () => (item.join === 'all' ? [] : null);

  return (record) => {
    const found = access(record);
    const reasons: MatchReason[] = [];
    for (const { matcher, test } of tests) {
      if (!test(found, record)) {
        if (item.join === 'all') return null;
        continue;
      }
      reasons.push({
        search,
        field: item.field,
        modifiers: item.modifiers,
        value: witness(test, found.values, record),
        expected: describeMatcher(matcher),
      });
    }
    return reasons.length > 0 ? reasons : null;
  };
}

/**
 * Finds the first value of the field that satisfies the test on its own. Tests of presence
 * (`null`, `exists`) hold on the field as a whole, so they fall back to its first value.
 */
function witness(
  test: ValuesPredicate,
  values: unknown[],
  record: Record<string, unknown>,
): unknown {
  const flat = flattenValues(values);
  const single = flat.find((value) => test({ present: true, values: [value] }, record));
  return single ?? flat[0] ?? null;
}

function describeMatcher(matcher: ValueMatcher): string {
  const test = matcher.test;
  switch (test.kind) {
    case 'pattern':
      return patternText(test.pattern);
    case 'literal':
      return String(test.value);
    case 'regex':
      return test.source;
    case 'cidr':
      return test.network;
    case 'compare':
      return `${test.op} ${test.value}`;
    case 'time':
      return `${test.part} ${test.op} ${test.value}`;
    case 'null':
      return 'null';
    case 'exists':
      return test.present ? 'exists' : 'missing';
    case 'fieldref':
      return test.field;
    case 'placeholder':
      return `%${test.name}%`;
  }
}

/** Writes a pattern back in Sigma syntax: wildcards as `*` and `?`, literal ones escaped. */
function patternText(pattern: Pattern): string {
  return pattern.parts
    .map((part) => {
      if (part.kind === 'any') return '*';
      if (part.kind === 'one') return '?';
      return part.text.replace(/[\\*?]/g, '\\$&');
    })
    .join('');
}
