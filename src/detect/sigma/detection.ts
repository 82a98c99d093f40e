/**
 * The `detection` section: search identifiers built from maps (AND of fields), lists of maps
 * (OR) and keyword lists, plus the condition that joins them.
 */
import { parseCondition } from './condition.ts';
import type { IssueSink } from './issues.ts';
import type { ConditionNode, SearchNode } from './model.ts';
import { buildFieldItem, type RawValue } from './modifiers.ts';

/** The searches and the parsed condition of a detection section, or null where invalid. */
export interface ParsedDetection {
  searches: Record<string, SearchNode>;
  condition: ConditionNode | null;
}

type Path = (string | number)[];

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is RawValue {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * Parses a detection section, reporting every problem to the sink. `section` is the key the
 * searches sit under in the document (`filter` for Sigma filters), for the issue paths.
 */
export function parseDetection(
  detection: unknown,
  sink: IssueSink,
  section = 'detection',
): ParsedDetection {
  const searches: Record<string, SearchNode> = {};
  if (!isMap(detection)) {
    sink.error('missing_detection', ['detection'], 'The rule needs a "detection" map.');
    return { searches, condition: null };
  }

  for (const [name, body] of Object.entries(detection)) {
    if (name === 'condition') continue;
    if (name === 'timeframe') {
      sink.warning(
        'obsolete_timeframe',
        [section, name],
        '"timeframe" is Sigma 1.x syntax and is ignored; use a correlation rule with "timespan".',
      );
      continue;
    }
    const node = parseSearch(body, [section, name], sink);
    if (node !== null) searches[name] = node;
  }

  const condition = parseConditionField(detection.condition, searches, sink, section);
  return { searches, condition };
}

function parseConditionField(
  raw: unknown,
  searches: Record<string, SearchNode>,
  sink: IssueSink,
  section: string,
): ConditionNode | null {
  const path = [section, 'condition'];
  if (raw === undefined || raw === null || raw === '') {
    sink.error('missing_condition', path, 'The detection section needs a "condition".');
    return null;
  }

  // Sigma 1.x allowed a list of conditions, meaning any of them.
  const texts = Array.isArray(raw) ? raw : [raw];
  const nodes: ConditionNode[] = [];
  for (const text of texts) {
    if (typeof text !== 'string') {
      sink.error('condition_syntax', path, 'The condition must be a string.');
      continue;
    }
    const { node, problems } = parseCondition(text, Object.keys(searches));
    for (const problem of problems) sink.error(problem.code, path, problem.message);
    if (node !== null) nodes.push(node);
  }

  if (nodes.length !== texts.length) return null;
  return nodes.length === 1 ? nodes[0]! : { kind: 'or', children: nodes };
}

function parseSearch(body: unknown, path: Path, sink: IssueSink): SearchNode | null {
  if (isMap(body)) return parseFieldMap(body, path, sink);
  if (Array.isArray(body)) return parseSearchList(body, path, sink);
  if (isScalar(body) && body !== null) return keywordItem([body], path, sink);

  sink.error('invalid_search', path, 'A search identifier must be a map, a list or a keyword.');
  return null;
}

function parseSearchList(list: unknown[], path: Path, sink: IssueSink): SearchNode | null {
  if (list.length === 0) {
    sink.error('invalid_search', path, 'A search list must not be empty.');
    return null;
  }
  if (list.every((item) => isScalar(item))) return keywordItem(list as RawValue[], path, sink);

  const children: SearchNode[] = [];
  for (const [index, item] of list.entries()) {
    const child = isScalar(item)
      ? keywordItem([item], [...path, index], sink)
      : parseSearch(item, [...path, index], sink);
    if (child !== null) children.push(child);
  }
  return children.length === 1 ? children[0]! : { kind: 'or', children };
}

function parseFieldMap(map: Record<string, unknown>, path: Path, sink: IssueSink): SearchNode {
  const children: SearchNode[] = [];
  for (const [key, raw] of Object.entries(map)) {
    const [fieldName = '', ...modifiers] = key.split('|');
    const values = fieldValues(raw, [...path, key], sink);
    if (values === null) continue;

    const field = fieldName === '' ? null : fieldName;
    const effective = field === null ? keywordModifiers(modifiers) : modifiers;
    const item = buildFieldItem(field, effective, values, (problem) => {
      if (problem.warning) sink.warning(problem.code, [...path, key], problem.message);
      else sink.error(problem.code, [...path, key], problem.message);
    });
    children.push({ ...item, modifiers });
  }
  return children.length === 1 ? children[0]! : { kind: 'and', children };
}

function fieldValues(raw: unknown, path: Path, sink: IssueSink): RawValue[] | null {
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) {
    sink.error('invalid_value', path, 'A field needs at least one value.');
    return null;
  }
  if (!values.every(isScalar)) {
    sink.error('invalid_value', path, 'Field values must be strings, numbers, booleans or null.');
    return null;
  }
  return values as RawValue[];
}

function keywordItem(values: RawValue[], path: Path, sink: IssueSink): SearchNode {
  const item = buildFieldItem(null, keywordModifiers([]), values, (problem) => {
    if (problem.warning) sink.warning(problem.code, path, problem.message);
    else sink.error(problem.code, path, problem.message);
  });
  return { ...item, modifiers: [] };
}

/**
 * Keywords are full-text searches: without a modifier that places the value, a keyword matches
 * anywhere inside any value of the record, as if written with `contains`.
 */
function keywordModifiers(modifiers: string[]): string[] {
  const placed = ['contains', 'startswith', 'endswith', 're', 'cidr', 'exists'];
  if (modifiers.some((modifier) => placed.includes(modifier))) return modifiers;
  return [...modifiers, 'contains'];
}
