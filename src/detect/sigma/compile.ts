/**
 * The in-memory backend: compiles a validated rule's detection tree once into closures over raw
 * records. Rule content is never evaluated as code, and regexes run on RE2 (linear time).
 */
import { RE2JS } from 're2js';
import { compileCidr, parseCidr } from './cidr.ts';
import {
  compileAccessor,
  type FieldAccessor,
  flattenValues,
  scalarLeaves,
  valueText,
} from './fields.ts';
import { compileGlob } from './glob.ts';
import type {
  CompareOp,
  ConditionNode,
  DetectionRule,
  FieldItem,
  SearchNode,
  TimePart,
  ValueMatcher,
  ValueTest,
} from './model.ts';
import { buildFieldItem } from './modifiers.ts';
import { mapPatternText } from './pattern.ts';

/** A compiled predicate over a raw record. */
export type RecordPredicate = (record: Record<string, unknown>) => boolean;

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

class Refusal extends Error {
  readonly refusal: CompileRefusal;

  constructor(code: string, message: string) {
    super(message);
    this.refusal = { code, message };
  }
}

/** Compiles a detection rule into a predicate, or returns why it cannot. */
export function compileRule(
  rule: DetectionRule,
  options: CompileOptions = {},
): RecordPredicate | CompileRefusal {
  return refusalOf(() => {
    const searches = new Map<string, RecordPredicate>();
    for (const [name, node] of Object.entries(rule.searches)) {
      searches.set(name, compileSearch(node, options));
    }
    return compileCondition(rule.condition, searches);
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

function compileCondition(
  node: ConditionNode,
  searches: Map<string, RecordPredicate>,
): RecordPredicate {
  switch (node.kind) {
    case 'search': {
      const search = searches.get(node.name);
      if (search === undefined)
        throw new Refusal('unknown_identifier', `No search "${node.name}".`);
      return search;
    }
    case 'not': {
      const child = compileCondition(node.child, searches);
      return (record) => !child(record);
    }
    case 'and':
      return every(node.children.map((child) => compileCondition(child, searches)));
    case 'or':
      return some(node.children.map((child) => compileCondition(child, searches)));
    case 'at-least': {
      const children = node.children.map((child) => compileCondition(child, searches));
      return (record) => countUpTo(children, record, node.min) >= node.min;
    }
  }
}

function countUpTo(children: RecordPredicate[], record: Record<string, unknown>, min: number) {
  let count = 0;
  for (const child of children) {
    if (child(record) && ++count >= min) break;
  }
  return count;
}

function every(children: RecordPredicate[]): RecordPredicate {
  if (children.length === 1) return children[0]!;
  return (record) => children.every((child) => child(record));
}

function some(children: RecordPredicate[]): RecordPredicate {
  if (children.length === 1) return children[0]!;
  return (record) => children.some((child) => child(record));
}

function compileSearch(node: SearchNode, options: CompileOptions): RecordPredicate {
  if (node.kind === 'and') return every(node.children.map((c) => compileSearch(c, options)));
  if (node.kind === 'or') return some(node.children.map((c) => compileSearch(c, options)));
  return compileItem(expandPlaceholders(node, options), options);
}

/** A predicate over the values found for one field (or every leaf, for keywords). */
export type ValuesPredicate = (
  found: { present: boolean; values: unknown[] },
  record: Record<string, unknown>,
) => boolean;

function compileItem(item: FieldItem, options: CompileOptions): RecordPredicate {
  const access = itemAccessor(item, options);
  const tests = item.values.map((matcher) => compileMatcher(matcher, options));
  const join = item.join === 'all' ? 'every' : 'some';

  return (record) => {
    const found = access(record);
    return tests[join]((test) => test(found, record));
  };
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

/** Compiles a test of one scalar value. */
function compileValueTest(test: ValueTest): (value: unknown) => boolean {
  switch (test.kind) {
    case 'pattern': {
      const pattern = test.cased
        ? test.pattern
        : mapPatternText(test.pattern, (t) => t.toLowerCase());
      const glob = compileGlob(pattern);
      return (value) => {
        const text = valueText(value);
        return text !== null && glob(test.cased ? text : text.toLowerCase());
      };
    }
    case 'literal':
      return literalTest(test.value);
    case 'regex':
      return regexTest(test.source, test.flags);
    case 'cidr': {
      const network = parseCidr(test.network);
      if (network === null) throw new Refusal('invalid_cidr', 'Invalid CIDR network.');
      const inNetwork = compileCidr(network);
      return (value) => typeof value === 'string' && inNetwork(value);
    }
    case 'compare':
      return (value) => compareNumber(toNumber(value), test.op, test.value);
    case 'time':
      return (value) => compareNumber(datePart(value, test.part), test.op, test.value);
    default:
      throw new Refusal('unsupported_value', `Value test "${test.kind}" cannot be compiled here.`);
  }
}

function literalTest(expected: number | boolean): (value: unknown) => boolean {
  const text = String(expected).toLowerCase();
  return (value) => {
    if (value === expected) return true;
    const actual = valueText(value);
    return actual !== null && typeof value !== 'object' && actual.toLowerCase() === text;
  };
}

function regexTest(source: string, flags: { i: boolean; m: boolean; s: boolean }) {
  let mask = 0;
  if (flags.i) mask |= RE2JS.CASE_INSENSITIVE;
  if (flags.m) mask |= RE2JS.MULTILINE;
  if (flags.s) mask |= RE2JS.DOTALL;
  const regex = RE2JS.compile(source, mask);

  return (value: unknown) => {
    const text = valueText(value);
    return text !== null && regex.test(text);
  };
}

// Decimal text, as JSON writes numbers but with an optional sign and surrounding whitespace.
// Hexadecimal, binary and octal text, which JavaScript's Number also reads, is no number, so
// a field "0x10" never compares as 16.
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!DECIMAL_TEXT.test(text)) return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : null;
}

function compareNumber(actual: number | null, op: CompareOp, expected: number): boolean {
  if (actual === null) return false;
  if (op === 'gt') return actual > expected;
  if (op === 'gte') return actual >= expected;
  if (op === 'lt') return actual < expected;
  if (op === 'lte') return actual <= expected;
  return actual === expected;
}

/** Extracts a UTC date part from ISO 8601 text or epoch milliseconds; null for non-dates. */
function datePart(value: unknown, part: TimePart): number | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;

  if (part === 'minute') return date.getUTCMinutes();
  if (part === 'hour') return date.getUTCHours();
  if (part === 'day') return date.getUTCDate();
  if (part === 'month') return date.getUTCMonth() + 1;
  if (part === 'year') return date.getUTCFullYear();
  return isoWeek(date);
}

function isoWeek(date: Date): number {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  return Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
}
