/**
 * Prefilter: for each rule, one field whose value every match needs to equal one of a few
 * literals (such as `eventName` in an AND of selections). Rules are indexed by those literals,
 * so an event is evaluated only against the rules its value can satisfy, plus the rules that
 * have no such field. The literals are case-folded the way the matcher folds them, so the index
 * can only drop rules that could not match.
 */
import type { ConditionNode, DetectionRule, Pattern, SearchNode } from './model.ts';
import { isLiteral, literalText } from './pattern.ts';
import type { FieldTable, RecordView } from './record-view.ts';
import { requiredLiteral } from './regex-literal.ts';

/** A field and the case-folded texts one of which every match of a rule has in that field. */
export interface Requirement {
  field: string;
  values: Set<string>;
}

/**
 * A field whose case-folded value, in every match of a rule, is one of `values`, starts with one
 * of `prefixes` or contains one of `substrings`.
 */
export interface TextRequirement extends Requirement {
  prefixes: Set<string>;
  substrings: Set<string>;
}

/**
 * Finds the narrowest requirement of a rule, or null when it has none. `mapField` gives the raw
 * field name, as the compiled rule uses.
 */
export function ruleRequirement(
  rule: DetectionRule,
  mapField: (field: string) => string = (field) => field,
): Requirement | null {
  const candidates = ruleRequirements(rule, mapField);
  let best: Requirement | null = null;
  for (const candidate of candidates) {
    if (best === null || narrower(candidate, best)) best = candidate;
  }
  return best;
}

/**
 * `ruleRequirement` among the requirements on top-level fields only (no dot in the name), for
 * prefilters that read one member of the record.
 */
export function topLevelRequirement(
  rule: DetectionRule,
  mapField: (field: string) => string = (field) => field,
): Requirement | null {
  let best: Requirement | null = null;
  for (const candidate of ruleRequirements(rule, mapField)) {
    if (candidate.field.includes('.')) continue;
    if (best === null || narrower(candidate, best)) best = candidate;
  }
  return best;
}

/** Returns every requirement that each match of a rule meets, one per field and search. */
export function ruleRequirements(
  rule: DetectionRule,
  mapField: (field: string) => string = (field) => field,
): Requirement[] {
  const all = conditionRequirements(rule.condition, rule.searches, { mapField, texts: false });
  return all.map(({ field, values }) => ({ field, values }));
}

/**
 * `ruleRequirements` with texts that patterns require too. A case-insensitive pattern that
 * starts with literal text (`startswith`, or `Access*Denied`) requires that text, case-folded,
 * as a prefix, and one that starts with a wildcard (`contains`) requires its longest literal
 * text as a substring. Case-sensitive patterns give none, because folding the case of a value
 * and of a part of it separately need not keep the part (JavaScript folds a final sigma by its
 * context). A case-sensitive regex of literals, `.*` and `.+` requires its longest literal,
 * which is ASCII, as a substring.
 */
export function textRequirements(
  rule: DetectionRule,
  mapField: (field: string) => string = (field) => field,
): TextRequirement[] {
  return conditionRequirements(rule.condition, rule.searches, { mapField, texts: true });
}

/** Options of collecting requirements: the raw field names, and whether pattern texts count. */
interface Collect {
  mapField: (field: string) => string;
  texts: boolean;
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
  collect: Collect,
): TextRequirement[] {
  switch (node.kind) {
    case 'search': {
      const search = searches[node.name];
      return search === undefined ? [] : searchRequirements(search, collect);
    }
    case 'and':
      return node.children.flatMap((child) => conditionRequirements(child, searches, collect));
    case 'or':
    case 'at-least':
      return unionOfAlternatives(
        node.children.map((child) => conditionRequirements(child, searches, collect)),
      );
    case 'not':
      return [];
  }
}

function searchRequirements(node: SearchNode, collect: Collect): TextRequirement[] {
  if (node.kind === 'and')
    return node.children.flatMap((child) => searchRequirements(child, collect));
  if (node.kind === 'or') {
    return unionOfAlternatives(node.children.map((child) => searchRequirements(child, collect)));
  }
  if (node.field === null || node.values.length === 0) return [];

  const values = new Set<string>();
  const prefixes = new Set<string>();
  const substrings = new Set<string>();
  for (const matcher of node.values) {
    const test = matcher.test;
    if (matcher.negate) return [];
    if (test.kind === 'literal') values.add(String(test.value).toLowerCase());
    else if (test.kind === 'pattern' && isLiteral(test.pattern)) {
      values.add(literalText(test.pattern).toLowerCase());
    } else if (collect.texts && test.kind === 'regex' && !test.flags.i) {
      // Every match contains the literal, and lowering ASCII text needs no context.
      const literal = requiredLiteral(test.source, false);
      if (literal === null) return [];
      substrings.add(literal.toLowerCase());
    } else if (!collect.texts || test.kind !== 'pattern' || test.cased) {
      return [];
    } else {
      const [first] = test.pattern.parts;
      const text = first?.kind === 'text' ? first.text : longestText(test.pattern);
      if (text === '') return [];
      (first?.kind === 'text' ? prefixes : substrings).add(text.toLowerCase());
    }
  }
  return [{ field: collect.mapField(node.field), values, prefixes, substrings }];
}

function longestText(pattern: Pattern): string {
  let longest = '';
  for (const part of pattern.parts) {
    if (part.kind === 'text' && part.text.length > longest.length) longest = part.text;
  }
  return longest;
}

/** When one of several alternatives must match, a field they all require keeps the union. */
function unionOfAlternatives(alternatives: TextRequirement[][]): TextRequirement[] {
  const [first, ...rest] = alternatives;
  if (first === undefined) return [];

  const result: TextRequirement[] = [];
  for (const candidate of first) {
    const values = new Set(candidate.values);
    const prefixes = new Set(candidate.prefixes);
    const substrings = new Set(candidate.substrings);
    const sharedByAll = rest.every((alternative) => {
      const same = alternative.find((other) => other.field === candidate.field);
      for (const value of same?.values ?? []) values.add(value);
      for (const prefix of same?.prefixes ?? []) prefixes.add(prefix);
      for (const substring of same?.substrings ?? []) substrings.add(substring);
      return same !== undefined;
    });
    if (sharedByAll) result.push({ field: candidate.field, values, prefixes, substrings });
  }
  return result;
}

// An index field that a single rule requires costs a lookup on every event for that rule
// alone, so its requirement counts as this many values more than one on a shared field.
const LONE_FIELD_WEIGHT = 8;

// Maximum cached combinations of value lists, so records that meet requirements in unusual
// combinations cannot grow the cache without bound.
const MAX_COMBINATIONS = 4096;

/** A trie of candidate lists keyed by the value lists a record hit, in lookup order. */
interface Combination<T> {
  next: Map<T[], Combination<T>>;
  /** The always-evaluated items and the value lists on the path to this node. */
  lists: T[][];
  items: readonly T[] | null;
}

/**
 * Rules of one source indexed by one requirement each. Each rule is indexed under its
 * narrowest requirement, preferring fields that other rules require too, so that an event
 * needs few field lookups to find its candidates.
 */
export class PrefilterIndex<T> {
  readonly #table: FieldTable;
  readonly #added: { item: T; requirements: Requirement[] }[] = [];
  #built = false;
  #always: T[] = [];
  /** The slots of the requirement fields, and at the same position their indexed values. */
  #slots: number[] = [];
  /** For each requirement field, the items indexed under each case-folded value. */
  #byValue: Map<string, T[]>[] = [];
  /** Position of each item in the order it was added, which candidates keep. */
  readonly #position = new Map<T, number>();
  #combinations: Combination<T> = { next: new Map(), lists: [], items: null };
  #combinationCount = 0;

  /** Creates an index whose requirement fields take slots in `table`, read through its views. */
  constructor(table: FieldTable) {
    this.#table = table;
  }

  /**
   * Adds an item with the requirements each of its matches meets (none puts it on the
   * always-evaluated list). The index picks one of them when candidates are first requested.
   */
  add(item: T, requirements: readonly Requirement[]): void {
    if (this.#position.has(item)) return;
    this.#position.set(item, this.#position.size);
    this.#added.push({ item, requirements: [...requirements] });
    this.#built = false;
  }

  /**
   * The items a record may match, each once, in the order they were added. The array may be
   * shared between calls, so callers must not change it.
   */
  candidates(view: RecordView): readonly T[] {
    if (!this.#built) this.#build();

    let node = this.#combinations;
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      const entry = view.entry(slots[i]!);
      const byValue = this.#byValue[i]!;
      if (!entry.present) continue;
      for (const text of entry.lower()) {
        if (text === null) continue;
        const items = byValue.get(text);
        if (items !== undefined) node = this.#step(node, items);
      }
    }
    if (node === this.#combinations) return this.#always;
    if (node.items === null) node.items = this.#sorted(node.lists);
    return node.items;
  }

  /** Follows one more hit list in the trie, adding a node while the trie has room. */
  #step(node: Combination<T>, items: T[]): Combination<T> {
    let next = node.next.get(items);
    if (next !== undefined) return next;

    next = { next: new Map(), lists: [...node.lists, items], items: null };
    if (this.#combinationCount >= MAX_COMBINATIONS) return next;
    node.next.set(items, next);
    this.#combinationCount++;
    return next;
  }

  #sorted(lists: T[][]): T[] {
    const unique = [...new Set(lists.flat())];
    const position = this.#position;
    return unique.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
  }

  #build(): void {
    const usage = new Map<string, number>();
    for (const { requirements } of this.#added) {
      for (const field of new Set(requirements.map((requirement) => requirement.field))) {
        usage.set(field, (usage.get(field) ?? 0) + 1);
      }
    }
    const cost = (requirement: Requirement) =>
      weight(requirement) + ((usage.get(requirement.field) ?? 0) > 1 ? 0 : LONE_FIELD_WEIGHT);

    this.#always = [];
    this.#slots = [];
    this.#byValue = [];
    this.#combinations = { next: new Map(), lists: [this.#always], items: null };
    this.#combinationCount = 0;
    for (const { item, requirements } of this.#added) {
      let best: Requirement | null = null;
      for (const candidate of requirements) {
        if (best === null || cost(candidate) < cost(best)) best = candidate;
      }
      if (best === null) this.#always.push(item);
      else this.#index(item, best);
    }
    this.#built = true;
  }

  #index(item: T, requirement: Requirement): void {
    const slot = this.#table.slot(requirement.field);
    let position = this.#slots.indexOf(slot);
    if (position < 0) {
      position = this.#slots.push(slot) - 1;
      this.#byValue.push(new Map());
    }
    const byValue = this.#byValue[position]!;
    for (const value of requirement.values) {
      const list = byValue.get(value) ?? [];
      list.push(item);
      byValue.set(value, list);
    }
  }
}
