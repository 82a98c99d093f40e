/**
 * Sigma filters (Sigma 2.1 filters specification): documents with a `filter` section that name
 * rules by id or name and describe events to suppress in them. A filter is applied to the
 * parsed model, so every backend compiled from the model gets it: the searches of the filter are
 * added to the rule, and its condition becomes `(original) and not (filter condition)`.
 */
import { parseDetection } from './detection.ts';
import type { IssueSink, RuleIssue } from './issues.ts';
import { parseLogSource } from './logsource.ts';
import type {
  ConditionNode,
  DetectionRule,
  LogSource,
  RuleHeader,
  SearchNode,
  SigmaFilter,
  SigmaRule,
} from './model.ts';

type Doc = Record<string, unknown>;

function isMap(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a filter document whose header is already parsed. */
export function parseFilter(doc: Doc, header: RuleHeader, sink: IssueSink): SigmaFilter | null {
  const logsource = parseLogSource(doc.logsource, sink);
  const section = doc.filter;
  if (!isMap(section)) {
    sink.error('invalid_filter', ['filter'], '"filter" must be a map of searches and "rules".');
    return null;
  }

  const rules = references(section.rules, sink);
  const { rules: _rules, ...detection } = section;
  const { searches, condition } = parseDetection(detection, sink, 'filter');
  if (logsource === null || rules === null || condition === null) return null;

  if (condition.kind === 'not') {
    sink.warning(
      'filter_condition_negated',
      ['filter', 'condition'],
      'The filter condition starts with "not", but it describes the events to suppress: ' +
        'matches of the rules are kept only where it does not hold. Remove the "not" if ' +
        'the filter was written for a tool that adds the condition as written.',
    );
  }
  return { ...header, kind: 'filter', logsource, rules, searches, condition };
}

function references(value: unknown, sink: IssueSink): string[] | null {
  if (typeof value === 'string' && value !== '') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    return value;
  }
  sink.error(
    'missing_filter_rules',
    ['filter', 'rules'],
    'The filter needs "rules": a list of the ids or names of the rules it applies to.',
  );
  return null;
}

/** Rules with the filters applied, and the problems of filters that could not be applied. */
export interface FilterResult {
  rules: SigmaRule[];
  issues: RuleIssue[];
}

/**
 * Applies each filter to the detection rules it names, in the order given. A reference is
 * resolved like a correlation's: by rule id, then by rule name, in any case. A filter applies
 * to a rule only when every logsource key the filter sets has the rule's value. A reference to
 * no loaded rule, to a correlation, or to a rule of another logsource is reported and skipped.
 * The input rules are not modified.
 */
export function applyFilters(rules: SigmaRule[], filters: SigmaFilter[]): FilterResult {
  const issues: RuleIssue[] = [];
  const byReference = new Map<string, number>();
  for (const [index, rule] of rules.entries()) {
    if (!byReference.has(rule.id.toLowerCase())) byReference.set(rule.id.toLowerCase(), index);
  }
  for (const [index, rule] of rules.entries()) {
    const name = rule.name?.toLowerCase();
    if (name !== undefined && !byReference.has(name)) byReference.set(name, index);
  }

  const result = [...rules];
  for (const filter of filters) {
    const applied = new Set<number>();
    for (const reference of filter.rules) {
      const index = byReference.get(reference.toLowerCase());
      const target = index === undefined ? undefined : result[index];
      const problem = targetProblem(filter, reference, target);
      if (problem !== null) {
        issues.push(problem);
        continue;
      }
      if (applied.has(index!)) continue;
      applied.add(index!);
      result[index!] = filtered(target as DetectionRule, filter);
    }
  }

  return { rules: result, issues };
}

function targetProblem(
  filter: SigmaFilter,
  reference: string,
  target: SigmaRule | undefined,
): RuleIssue | null {
  const issue = (code: string, severity: RuleIssue['severity'], message: string): RuleIssue => ({
    code,
    severity,
    file: filter.file,
    line: filter.line,
    field: 'filter.rules',
    message,
  });

  if (target === undefined) {
    return issue(
      'unknown_filter_target',
      'warning',
      `Filter names rule "${reference}", which is not loaded, so that reference filters nothing.`,
    );
  }
  if (target.kind !== 'detection') {
    return issue(
      'filter_target_not_detection',
      'warning',
      `Filter names correlation "${reference}"; filters apply to single-event rules only.`,
    );
  }
  if (!coversLogSource(filter.logsource, target.logsource)) {
    return issue(
      'filter_logsource_mismatch',
      'error',
      `Filter logsource ${describeLogSource(filter.logsource)} differs from that of rule ` +
        `"${reference}" (${describeLogSource(target.logsource)}); the filter is not applied to it.`,
    );
  }
  return null;
}

/** Whether every logsource key the filter sets has the same value in the rule, in any case. */
function coversLogSource(filter: LogSource, rule: LogSource): boolean {
  const keys = ['product', 'service', 'category'] as const;
  return keys.every(
    (key) => filter[key] === null || filter[key].toLowerCase() === rule[key]?.toLowerCase(),
  );
}

function describeLogSource(logsource: LogSource): string {
  const parts = Object.entries(logsource).filter(([, value]) => value !== null);
  return parts.map(([key, value]) => `${key}=${value}`).join(' ');
}

function filtered(rule: DetectionRule, filter: SigmaFilter): DetectionRule {
  const prefix = `filter.${filter.id}.`;
  const searches: Record<string, SearchNode> = { ...rule.searches };
  for (const [name, node] of Object.entries(filter.searches)) searches[prefix + name] = node;

  const suppress = renamed(filter.condition, prefix);
  return {
    ...rule,
    searches,
    condition: { kind: 'and', children: [rule.condition, { kind: 'not', child: suppress }] },
    filters: [...(rule.filters ?? []), filter.id],
  };
}

function renamed(node: ConditionNode, prefix: string): ConditionNode {
  switch (node.kind) {
    case 'search':
      return { kind: 'search', name: prefix + node.name };
    case 'not':
      return { kind: 'not', child: renamed(node.child, prefix) };
    case 'and':
    case 'or':
      return { kind: node.kind, children: node.children.map((child) => renamed(child, prefix)) };
    case 'at-least':
      return { ...node, children: node.children.map((child) => renamed(child, prefix)) };
  }
}
