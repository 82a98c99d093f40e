/**
 * The in-memory backend: compiles a validated rule's detection tree once into closures over raw
 * records. Rule content is never evaluated as code, and regexes run on RE2 (linear time).
 * Compiled rules read fields through a `RecordView`, so rules evaluated on the same record share
 * each field's lookup and lower-cased text.
 */
import {
  compileAccessor,
  type FieldAccessor,
  flattenValues,
  scalarLeaves,
  valueText,
} from './fields.ts';
import type {
  ConditionNode,
  DetectionRule,
  FieldItem,
  SearchNode,
  ValueMatcher,
  ValueTest,
} from './model.ts';
import { buildFieldItem } from './modifiers.ts';
import { type FieldEntry, FieldTable, RecordView } from './record-view.ts';
import { compileTextTest, compileValueTest, Refusal } from './value-tests.ts';

/** A compiled predicate over a raw record. */
export type RecordPredicate = (record: Record<string, unknown>) => boolean;

/** A compiled predicate over a record seen through a view of the rule set's field table. */
export type ViewPredicate = (view: RecordView) => boolean;

/** A typed refusal: the in-memory backend cannot compile this rule as written. */
export interface CompileRefusal {
  code: string;
  message: string;
}

/** Options for compiling a rule for one source. */
export interface CompileOptions {
  /** Maps a Sigma field name to the raw record's field name; identity when absent. */
  mapField?: (field: string) => string;
  /** Values of `%name%` placeholders used with the `expand` modifier. */
  placeholders?: Readonly<Record<string, readonly string[]>>;
}

/** Compiles a detection rule into a predicate, or returns why it cannot. */
export function compileRule(
  rule: DetectionRule,
  options: CompileOptions = {},
): RecordPredicate | CompileRefusal {
  const table = new FieldTable();
  const predicate = compileRuleView(rule, table, options);
  if (typeof predicate !== 'function') return predicate;
  return (record) => predicate(new RecordView(table).reset(record));
}

/**
 * Compiles a detection rule into a predicate over views of `table`, which gains a slot for
 * each field the rule reads. Rules compiled into one table can share a view per record.
 */
export function compileRuleView(
  rule: DetectionRule,
  table: FieldTable,
  options: CompileOptions = {},
): ViewPredicate | CompileRefusal {
  return refusalOf(() => {
    const searches = new Map<string, Compiled>();
    for (const [name, node] of Object.entries(rule.searches)) {
      searches.set(name, compileSearch(node, table, options));
    }
    return compileCondition(rule.condition, searches).predicate;
  });
}

/** Runs a compile step, returning the refusal it raises instead of throwing it. */
export function refusalOf<T>(compile: () => T): T | CompileRefusal {
  try {
    return compile();
  } catch (error) {
    if (error instanceof Refusal) return error.refusal;
    throw error;
  }
}

/**
 * A compiled predicate and a rough cost of evaluating it. The children of an AND or OR run
 * cheapest first: predicates have no side effects, so the order changes only the time.
 */
interface Compiled {
  predicate: ViewPredicate;
  cost: number;
}

function compileCondition(node: ConditionNode, searches: Map<string, Compiled>): Compiled {
  switch (node.kind) {
    case 'search': {
      const search = searches.get(node.name);
      if (search === undefined)
        throw new Refusal('unknown_identifier', `No search "${node.name}".`);
      return search;
    }
    case 'not': {
      const child = compileCondition(node.child, searches);
      const predicate = child.predicate;
      return { predicate: (view) => !predicate(view), cost: child.cost };
    }
    case 'and':
      return every(node.children.map((child) => compileCondition(child, searches)));
    case 'or':
      return some(node.children.map((child) => compileCondition(child, searches)));
    case 'at-least': {
      const children = node.children.map((child) => compileCondition(child, searches));
      const predicates = children.map((child) => child.predicate);
      const min = node.min;
      return {
        predicate: (view) => countUpTo(predicates, view, min) >= min,
        cost: totalCost(children),
      };
    }
  }
}

function countUpTo(children: ViewPredicate[], view: RecordView, min: number) {
  let count = 0;
  for (const child of children) {
    if (child(view) && ++count >= min) break;
  }
  return count;
}

function every(children: Compiled[]): Compiled {
  if (children.length === 1) return children[0]!;
  const predicates = cheapestFirst(children);
  const predicate: ViewPredicate = (view) => {
    for (const child of predicates) if (!child(view)) return false;
    return true;
  };
  return { predicate, cost: totalCost(children) };
}

function some(children: Compiled[]): Compiled {
  if (children.length === 1) return children[0]!;
  const predicates = cheapestFirst(children);
  const predicate: ViewPredicate = (view) => {
    for (const child of predicates) if (child(view)) return true;
    return false;
  };
  return { predicate, cost: totalCost(children) };
}

function cheapestFirst(children: Compiled[]): ViewPredicate[] {
  // A stable sort keeps the rule's order among children of equal cost.
  return [...children].sort((a, b) => a.cost - b.cost).map((child) => child.predicate);
}

function totalCost(children: Compiled[]): number {
  return children.reduce((sum, child) => sum + child.cost, 0);
}

function compileSearch(node: SearchNode, table: FieldTable, options: CompileOptions): Compiled {
  if (node.kind === 'and') return every(node.children.map((c) => compileSearch(c, table, options)));
  if (node.kind === 'or') return some(node.children.map((c) => compileSearch(c, table, options)));
  return compileItem(expandPlaceholders(node, options), table, options);
}

/** A predicate over the values found for one field (or every leaf, for keywords). */
export type ValuesPredicate = (
  found: { present: boolean; values: unknown[] },
  record: Record<string, unknown>,
) => boolean;

// Rough costs of one value test, relative to comparing a text. A keyword item reads every
// scalar of the record, so its tests cost more per value.
const TEST_COST: Record<ValueTest['kind'], number> = {
  pattern: 1,
  literal: 1,
  null: 1,
  exists: 1,
  cidr: 2,
  compare: 2,
  time: 3,
  fieldref: 4,
  regex: 8,
  placeholder: 1,
};
const KEYWORD_COST_FACTOR = 20;

/** A predicate over the cached values of an item's field in the view's record. */
type EntryPredicate = (entry: FieldEntry, view: RecordView) => boolean;

function compileItem(item: FieldItem, table: FieldTable, options: CompileOptions): Compiled {
  const field = item.field === null ? null : (options.mapField?.(item.field) ?? item.field);
  const slot = table.slot(field);
  const tests = item.values.map((matcher) => compileEntryMatcher(matcher, options));
  const testCost = item.values.reduce((sum, matcher) => sum + TEST_COST[matcher.test.kind], 0);
  const cost = field === null ? testCost * KEYWORD_COST_FACTOR : testCost;

  // With no values left (a placeholder with an empty list), `all` is true and `any` false.
  if (tests.length === 0) {
    const empty = item.join === 'all';
    return { predicate: () => empty, cost };
  }
  if (tests.length === 1) {
    const test = tests[0]!;
    return { predicate: (view) => test(view.entry(slot), view), cost };
  }
  if (item.join === 'all') {
    const predicate: ViewPredicate = (view) => {
      const entry = view.entry(slot);
      for (const test of tests) if (!test(entry, view)) return false;
      return true;
    };
    return { predicate, cost };
  }
  const predicate: ViewPredicate = (view) => {
    const entry = view.entry(slot);
    for (const test of tests) if (test(entry, view)) return true;
    return false;
  };
  return { predicate, cost };
}

/**
 * Compiles a value matcher over a field's cached values. Patterns, regexes and literals read
 * the texts the entry converts and lower-cases once per record; other tests run as
 * `compileMatcher` compiles them.
 */
function compileEntryMatcher(matcher: ValueMatcher, options: CompileOptions): EntryPredicate {
  const hit = textHit(matcher.test);
  if (hit === null) {
    const test = compileMatcher(matcher, options);
    return (entry, view) => test(entry, view.record);
  }

  const { cased, test } = hit;
  if (matcher.negate) {
    // As in `compileMatcher`: a missing or null field is not "different".
    return (entry) => {
      const values = entry.flat();
      const texts = cased ? entry.texts() : entry.lower();
      let compared = false;
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (value === null || value === undefined) continue;
        compared = true;
        if (test(value, texts[i] ?? null)) return false;
      }
      return compared;
    };
  }
  return (entry) => {
    if (!entry.present) return false;
    const values = entry.flat();
    const texts = cased ? entry.texts() : entry.lower();
    for (let i = 0; i < values.length; i++) {
      if (test(values[i], texts[i] ?? null)) return true;
    }
    return false;
  };
}

/**
 * Compiles a pattern, regex or literal test over a value and its text (`valueText`, lower-cased
 * unless `cased`). It agrees with `compileValueTest`. Returns null for other tests.
 */
function textHit(
  test: ValueTest,
): { cased: boolean; test: (value: unknown, text: string | null) => boolean } | null {
  if (test.kind === 'literal') {
    const expected = test.value;
    const text = String(expected).toLowerCase();
    return {
      cased: false,
      test: (value, actual) => value === expected || (typeof value !== 'object' && actual === text),
    };
  }
  const textTest = compileTextTest(test);
  if (textTest === null) return null;

  const matches = textTest.test;
  return { cased: textTest.cased, test: (_, text) => text !== null && matches(text) };
}

/** Compiles the lookup of an item's field, or of every scalar in the record for a keyword. */
export function itemAccessor(item: FieldItem, options: CompileOptions): FieldAccessor {
  if (item.field === null) return (record) => ({ present: true, values: scalarLeaves(record) });
  return compileAccessor(options.mapField?.(item.field) ?? item.field);
}

/** Replaces `%name%` placeholder values with the values the options give for them. */
export function expandPlaceholders(item: FieldItem, options: CompileOptions): FieldItem {
  if (!item.values.some((matcher) => matcher.test.kind === 'placeholder')) return item;

  const values = item.values.flatMap((matcher): ValueMatcher[] => {
    const test = matcher.test;
    if (test.kind !== 'placeholder') return [matcher];
    const list = options.placeholders?.[test.name];
    if (list === undefined) {
      throw new Refusal(
        'unresolved_placeholder',
        `Placeholder %${test.name}% has no values; give them in a placeholders file (--placeholders FILE).`,
      );
    }
    const expanded = buildFieldItem(item.field, test.modifiers, [...list], (problem) => {
      if (!problem.warning) throw new Refusal(problem.code, problem.message);
    });
    return expanded.values;
  });
  return { ...item, values };
}

/** Compiles one value matcher of an item into a predicate over the values found. */
export function compileMatcher(matcher: ValueMatcher, options: CompileOptions): ValuesPredicate {
  const test = matcher.test;
  if (test.kind === 'null')
    return (found) => found.values.every((value) => value === null || value === undefined);
  if (test.kind === 'exists') return (found) => found.present === test.present;
  if (test.kind === 'fieldref') return compileFieldRef(test, matcher.negate, options);

  const testValue = compileValueTest(test);
  if (matcher.negate) {
    // `neq` needs a value to compare: a missing or null field is not "different".
    return (found) => {
      const values = flattenValues(found.values).filter(
        (value) => value !== null && value !== undefined,
      );
      return values.length > 0 && !values.some(testValue);
    };
  }
  return (found) => found.present && flattenValues(found.values).some(testValue);
}

function compileFieldRef(
  test: Extract<ValueTest, { kind: 'fieldref' }>,
  negate: boolean,
  options: CompileOptions,
): ValuesPredicate {
  const other = compileAccessor(options.mapField?.(test.field) ?? test.field);
  const fold = (text: string) => (test.cased ? text : text.toLowerCase());
  const texts = (values: unknown[]) =>
    flattenValues(values)
      .map(valueText)
      .filter((text): text is string => text !== null)
      .map(fold);

  return (found, record) => {
    const mine = texts(found.values);
    const theirs = new Set(texts(other(record).values));
    if (mine.length === 0 || theirs.size === 0) return false;
    const equal = mine.some((text) => theirs.has(text));
    return negate ? !equal : equal;
  };
}
