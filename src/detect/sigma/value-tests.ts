/**
 * Tests of one scalar value against a Sigma value: wildcard patterns, literals, RE2 regexes,
 * CIDR networks, numeric comparisons and date parts.
 */
import { RE2JS } from 're2js';
import { compileCidr, parseCidr } from './cidr.ts';
import type { CompileRefusal } from './compile.ts';
import { valueText } from './fields.ts';
import { compileGlob } from './glob.ts';
import type { CompareOp, TimePart, ValueTest } from './model.ts';
import { mapPatternText } from './pattern.ts';
import { requiredLiteral } from './regex-literal.ts';

/** A compile error that `refusalOf` turns into a `CompileRefusal`. */
export class Refusal extends Error {
  readonly refusal: CompileRefusal;

  constructor(code: string, message: string) {
    super(message);
    this.refusal = { code, message };
  }
}

/** Compiles a test of one scalar value. */
export function compileValueTest(test: ValueTest): (value: unknown) => boolean {
  switch (test.kind) {
    case 'pattern': {
      const glob = patternTest(test);
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

export function literalTest(expected: number | boolean): (value: unknown) => boolean {
  const text = String(expected).toLowerCase();
  return (value) => {
    if (value === expected) return true;
    const actual = valueText(value);
    return actual !== null && typeof value !== 'object' && actual.toLowerCase() === text;
  };
}

function regexTest(source: string, flags: RegexFlags) {
  const regex = compileRegex(source, flags);
  return (value: unknown) => {
    const text = valueText(value);
    return text !== null && regex(text);
  };
}

type RegexFlags = { i: boolean; m: boolean; s: boolean };

/** Compiles a regex search, which skips RE2 on texts that lack a literal every match has. */
function compileRegex(source: string, flags: RegexFlags): (text: string) => boolean {
  let mask = 0;
  if (flags.i) mask |= RE2JS.CASE_INSENSITIVE;
  if (flags.m) mask |= RE2JS.MULTILINE;
  if (flags.s) mask |= RE2JS.DOTALL;
  const regex = RE2JS.compile(source, mask);
  const literal = requiredLiteral(source, flags.i);
  if (literal === null) return (text) => regex.test(text);
  return (text) => text.includes(literal) && regex.test(text);
}

/** A test that reads only a value's text (`valueText`), lower-cased first unless `cased`. */
export interface TextTest {
  cased: boolean;
  test: (text: string) => boolean;
}

/**
 * Compiles a pattern or regex test into a test of text, so a caller can hand it text that it
 * converted and lower-cased once for many tests. Returns null for other kinds of test.
 */
export function compileTextTest(test: ValueTest): TextTest | null {
  if (test.kind === 'pattern') return { cased: test.cased, test: patternTest(test) };
  if (test.kind !== 'regex') return null;

  return { cased: true, test: compileRegex(test.source, test.flags) };
}

// Compiles a pattern to a predicate over text that is already lower-cased unless it is cased.
function patternTest(test: Extract<ValueTest, { kind: 'pattern' }>): (text: string) => boolean {
  const pattern = test.cased ? test.pattern : mapPatternText(test.pattern, (t) => t.toLowerCase());
  return compileGlob(pattern);
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
