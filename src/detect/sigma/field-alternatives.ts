/**
 * Field alternatives: a route may give several raw field names for one Sigma field, because one
 * log comes in several export shapes that name and nest the same value differently. A rule is
 * rewritten before either backend compiles it, so both read the same names:
 *
 * - a value test holds when it holds on any of the names (one shape has the field, the others
 *   lack it), and
 * - a `null` or `exists: false` test holds when every name is missing or null.
 */
import type { DetectionRule, FieldItem, SearchNode, ValueMatcher } from './model.ts';

/** Returns the raw field names to try for a Sigma field, the rule's own name usually first. */
export type FieldAlternatives = (field: string) => string[];

/** Rewrites every field item of a rule over the alternatives of its field name. */
export function expandFieldAlternatives(
  rule: DetectionRule,
  alternatives: FieldAlternatives,
): DetectionRule {
  const searches = Object.fromEntries(
    Object.entries(rule.searches).map(([name, node]) => [name, expandNode(node, alternatives)]),
  );
  return { ...rule, searches };
}

function expandNode(node: SearchNode, alternatives: FieldAlternatives): SearchNode {
  if (node.kind !== 'field') {
    return { kind: node.kind, children: node.children.map((c) => expandNode(c, alternatives)) };
  }
  if (node.field === null) return node;

  const names = [...new Set(alternatives(node.field))];
  if (names.length <= 1) return { ...node, field: names[0] ?? node.field };

  const absent = node.values.filter(isAbsenceTest);
  const present = node.values.filter((matcher) => !isAbsenceTest(matcher));
  const withValues = (values: ValueMatcher[]) =>
    names.map((field): FieldItem => ({ ...node, field, values }));

  // With `all`, every value must hold on one field, so the item cannot be split by value kind.
  if (node.join === 'all' || absent.length === 0) {
    if (absent.length > 0) return { kind: 'and', children: withValues(node.values) };
    return { kind: 'or', children: withValues(node.values) };
  }
  const missing: SearchNode = { kind: 'and', children: withValues(absent) };
  if (present.length === 0) return missing;
  return { kind: 'or', children: [...withValues(present), missing] };
}

function isAbsenceTest(matcher: ValueMatcher): boolean {
  const test = matcher.test;
  if (matcher.negate) return false;
  return test.kind === 'null' || (test.kind === 'exists' && !test.present);
}
