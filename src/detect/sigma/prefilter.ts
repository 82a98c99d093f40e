/**
 * Prefilter: for each rule, one field whose value every match needs to equal one of a few
 * literals (such as `eventName` in an AND of selections). Rules are indexed by those literals,
 * so an event is evaluated only against the rules its value can satisfy, plus the rules that
 * have no such field. The literals are case-folded the way the matcher folds them, so the index
 * can only drop rules that could not match.
 */
import { compileAccessor, type FieldAccessor, flattenValues, valueText } from './fields.ts';
import type { ConditionNode, DetectionRule, SearchNode } from './model.ts';
import { isLiteral, literalText } from './pattern.ts';

/** A field and the case-folded texts one of which every match of a rule has in that field. */
export interface Requirement {
  field: string;
  values: Set<string>;
}

/**
 * Finds the narrowest requirement of a rule, or null when it has none. `mapField` gives the raw
 * field name, as the compiled rule uses.
 */
export function ruleRequirement(
  rule: DetectionRule,
  mapField: (field: string) => string = (field) => field,
): Requirement | null {
  const candidates = conditionRequirements(rule.condition, rule.searches, mapField);
  let best: Requirement | null = null;
  for (const candidate of candidates) {
    if (best === null || narrower(candidate, best)) best = candidate;
  }
  return best;
}

// Fields whose values are shared by many events of a log (every EC2 call has the same
// eventSource), so indexing by them leaves many rules to evaluate per event. A coarse field
// counts as this many values when requirements are compared.
const COARSE_FIELDS = new Set(['eventSource', 'eventType', 'userIdentity.type', 'awsRegion']);
const COARSE_WEIGHT = 20;

/** Whether `candidate` is expected to admit fewer events than `best`. */
function narrower(candidate: Requirement, best: Requirement): boolean {
  return weight(candidate) < weight(best);
}

function weight(requirement: Requirement): number {
  const factor = COARSE_FIELDS.has(requirement.field) ? COARSE_WEIGHT : 1;
  return requirement.values.size * factor;
}

/** Every requirement that each match of the node must meet. */
function conditionRequirements(
  node: ConditionNode,
  searches: Record<string, SearchNode>,
  mapField: (field: string) => string,
): Requirement[] {
  switch (node.kind) {
    case 'search': {
      const search = searches[node.name];
      return search === undefined ? [] : searchRequirements(search, mapField);
    }
    case 'and':
      return node.children.flatMap((child) => conditionRequirements(child, searches, mapField));
    case 'or':
    case 'at-least':
      return unionOfAlternatives(
        node.children.map((child) => conditionRequirements(child, searches, mapField)),
      );
    case 'not':
      return [];
  }
}

function searchRequirements(node: SearchNode, mapField: (field: string) => string): Requirement[] {
  if (node.kind === 'and')
    return node.children.flatMap((child) => searchRequirements(child, mapField));
  if (node.kind === 'or') {
    return unionOfAlternatives(node.children.map((child) => searchRequirements(child, mapField)));
  }
  if (node.field === null || node.values.length === 0) return [];

  const values = new Set<string>();
  for (const matcher of node.values) {
    const test = matcher.test;
    if (matcher.negate) return [];
    if (test.kind === 'literal') values.add(String(test.value).toLowerCase());
    else if (test.kind === 'pattern' && isLiteral(test.pattern)) {
      values.add(literalText(test.pattern).toLowerCase());
    } else return [];
  }
  return [{ field: mapField(node.field), values }];
}

/** When one of several alternatives must match, a field they all require keeps the union. */
function unionOfAlternatives(alternatives: Requirement[][]): Requirement[] {
  const [first, ...rest] = alternatives;
  if (first === undefined) return [];

  const result: Requirement[] = [];
  for (const candidate of first) {
    const values = new Set(candidate.values);
    const sharedByAll = rest.every((alternative) => {
      const same = alternative.find((other) => other.field === candidate.field);
      for (const value of same?.values ?? []) values.add(value);
      return same !== undefined;
    });
    if (sharedByAll) result.push({ field: candidate.field, values });
  }
  return result;
}

/** Rules of one source indexed by their requirement. */
export class PrefilterIndex<T> {
  readonly #always: T[] = [];
  readonly #fields = new Map<string, { access: FieldAccessor; byValue: Map<string, T[]> }>();
  /** Position of each item in the order it was added, which candidates keep. */
  readonly #position = new Map<T, number>();

  /** Adds an item under a requirement, or to the always-evaluated list when it has none. */
  add(item: T, requirement: Requirement | null): void {
    if (!this.#position.has(item)) this.#position.set(item, this.#position.size);
    if (requirement === null) {
      this.#always.push(item);
      return;
    }

    let entry = this.#fields.get(requirement.field);
    if (entry === undefined) {
      entry = { access: compileAccessor(requirement.field), byValue: new Map() };
      this.#fields.set(requirement.field, entry);
    }
    for (const value of requirement.values) {
      const list = entry.byValue.get(value) ?? [];
      list.push(item);
      entry.byValue.set(value, list);
    }
  }

  /**
   * The items a record may match, each once, in the order they were added. The array may be
   * shared between calls, so callers must not change it.
   */
  candidates(record: Record<string, unknown>): readonly T[] {
    // Most records meet few requirements, so hits stay a short list until they are merged.
    let hits: T[] | null = null;
    for (const { access, byValue } of this.#fields.values()) {
      const found = access(record);
      if (!found.present) continue;
      for (const value of flattenValues(found.values)) {
        const text = valueText(value);
        if (text === null) continue;
        const items = byValue.get(text.toLowerCase());
        if (items === undefined) continue;
        hits ??= [];
        for (const item of items) if (!hits.includes(item)) hits.push(item);
      }
    }
    if (hits === null) return this.#always;

    const merged = this.#always.length === 0 ? hits : [...this.#always, ...hits];
    const position = this.#position;
    return merged.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
  }
}
