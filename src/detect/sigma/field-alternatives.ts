/**
 * Field alternatives: a route may give several raw field names for one Sigma field, because one
 * log comes in several export shapes that name and nest the same value differently. A rule is
 * rewritten before either backend compiles it, so both read the same names:
 *
 * - a value test holds when it holds on any of the names (one shape has the field, the others
 *   lack it), and
 * - a `null` or `exists: false` test holds when every name is missing or null.
 *
 * A shape may also write a value another way (`True` for `success`). Value synonyms add those
 * spellings to the non-negated pattern tests of an item whose values are joined by OR, so
 * `status: success` also matches `ResultStatus: True`.
 */
import type { DetectionRule, FieldItem, Pattern, SearchNode, ValueMatcher } from './model.ts';
import { isLiteral, literalPattern, literalText } from './pattern.ts';

/** Returns the raw field names to try for a Sigma field, the rule's own name usually first. */
export type FieldAlternatives = (field: string) => string[];

/**
 * Returns other patterns that mean the rule's pattern in a raw field (the raw name, not the
 * rule's), compared with the rule's own case rule; an empty list when there are none.
 */
export type ValueSynonyms = (rawField: string, pattern: Pattern) => Pattern[];

/**
 * Builds value synonyms for whole values without wildcards: in the given raw fields, a rule's
 * value (compared case-insensitively with the table's keys) also matches the table's texts.
 */
export function literalSynonyms(
  fields: readonly string[],
  table: Readonly<Record<string, readonly string[]>>,
): ValueSynonyms {
  return (rawField, pattern) => {
    if (!fields.includes(rawField) || !isLiteral(pattern)) return [];
    const texts = table[literalText(pattern).toLowerCase()] ?? [];
    return texts.map(literalPattern);
  };
}

/** Rewrites every field item of a rule over the alternatives of its field name. */
export function expandFieldAlternatives(
  rule: DetectionRule,
  alternatives: FieldAlternatives,
  synonyms?: ValueSynonyms,
): DetectionRule {
  const searches = Object.fromEntries(
    Object.entries(rule.searches).map(([name, node]) => [
      name,
      expandNode(node, alternatives, synonyms),
    ]),
  );
  return { ...rule, searches };
}

function expandNode(
  node: SearchNode,
  alternatives: FieldAlternatives,
  synonyms: ValueSynonyms | undefined,
): SearchNode {
  if (node.kind !== 'field') {
    const children = node.children.map((child) => expandNode(child, alternatives, synonyms));
    return { kind: node.kind, children };
  }
  if (node.field === null) return node;

  const names = [...new Set(alternatives(node.field))];
  const translate = (field: string, values: ValueMatcher[]) =>
    synonyms === undefined || node.join === 'all'
      ? values
      : values.flatMap((matcher) => [matcher, ...synonymMatchers(matcher, field, synonyms)]);
  if (names.length <= 1) {
    const field = names[0] ?? node.field;
    return { ...node, field, values: translate(field, node.values) };
  }

  const absent = node.values.filter(isAbsenceTest);
  const present = node.values.filter((matcher) => !isAbsenceTest(matcher));
  const withValues = (values: ValueMatcher[]) =>
    names.map((field): FieldItem => ({ ...node, field, values: translate(field, values) }));

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

/** Matchers for the synonyms of a non-negated pattern test, with the same case rule. */
function synonymMatchers(
  matcher: ValueMatcher,
  field: string,
  synonyms: ValueSynonyms,
): ValueMatcher[] {
  const test = matcher.test;
  if (matcher.negate || test.kind !== 'pattern') return [];
  return synonyms(field, test.pattern).map((pattern) => ({
    test: { kind: 'pattern', pattern, cased: test.cased },
    negate: false,
  }));
}
