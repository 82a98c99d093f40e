/**
 * The dialect-specific parts of the Sigma SQL backend. The compiler builds every expression
 * through this interface, so another engine (Trino and Athena are the next ones planned) needs
 * a new implementation of it and no change to the compiler.
 *
 * Expressions are SQL text. Arguments named `json` are JSON values, `text` are strings, `list`
 * are lists (arrays), and the result of every predicate is a boolean that may be NULL; the
 * compiler makes leaves non-NULL where it matters.
 */
import type { Pattern, TimePart } from '../sigma/model.ts';

/** A SQL expression builder that receives the name of the lambda variable it may use. */
export type Lambda = (variable: string) => string;

/** Regex flags of the `re` modifier's `i`, `m` and `s` sub-modifiers. */
export interface RegexFlags {
  i: boolean;
  m: boolean;
  s: boolean;
}

/** The operations the compiler needs from one SQL engine. */
export interface SqlDialect {
  readonly name: string;
  /** Statements to run once per connection before compiled expressions (macros, settings). */
  prelude(): string[];
  /**
   * An estimate of the engine memory one copy of the expression needs while a query runs, in
   * the units `scanBudget` uses; scans are split so that their expressions fit the budget.
   */
  memoryCost(sql: string): number;
  /** The memory budget of one scan, in `memoryCost` units. */
  readonly scanBudget: number;
  /**
   * Session settings (name and SQL value) that scans and the reads of their matches run with.
   * The old values are restored afterwards.
   */
  readonly scanSettings: readonly (readonly [string, string])[];
  /** Names among `scanSettings` whose old values are restored before the matches are read. */
  readonly scanOnlySettings: readonly string[];
  /**
   * Settings, among those of `scanSettings`, for a scan whose only filter reads stored columns
   * of `events` and whose projections feed no filter, so the engine can skip the records of
   * the rows it drops.
   */
  readonly columnScanSettings: readonly (readonly [string, string])[];
  /** A string literal holding exactly `text`; `text` must be well-formed UTF-16. */
  stringLiteral(text: string): string;
  /** A DOUBLE literal of a finite number. */
  numberLiteral(value: number): string;

  /** The JSON value of the raw record held as JSON text in `column`. */
  parseJson(column: string): string;
  /** The member `key` of a JSON object, or NULL when `json` is not an object or lacks it. */
  jsonMember(json: string, key: string): string;
  /**
   * The values at many member paths of one JSON object, parsed once, as a list whose element
   * `i` (zero-based) holds the value at `paths[i]` or NULL; see `listElement`.
   */
  jsonPathMembers(json: string, paths: string[][]): string;
  /**
   * The kinds of the values at many member paths of one JSON value, parsed once, as a list
   * whose element `i` holds the kind of the value at `paths[i]` (see `kindIsArray`) or NULL
   * where there is none. Unlike `jsonPathMembers`, it writes out no value, so a long string
   * there is not copied.
   */
  jsonPathKinds(json: string, paths: string[][]): string;
  /**
   * The bytes of the values at many member paths of one JSON value, parsed once, as a list
   * whose element `i` holds those of the value at `paths[i]`: strings decoded, other values as
   * JSON text, NULL for a missing value or JSON null. Unlike `jsonPathMembers`, it writes out
   * no string as JSON.
   */
  jsonPathBytes(json: string, paths: string[][]): string;
  /** Whether an element of a `jsonPathKinds` list is the kind of an array. */
  kindIsArray(kind: string): string;
  /**
   * The keys of the objects at many member paths of one JSON value, parsed once, as a list
   * whose element `i` contains the keys at `paths[i]` in document order, repeated keys included
   * and escapes decoded (an empty list where the value there is no object, NULL where it is
   * missing).
   */
  jsonObjectKeys(json: string, paths: string[][]): string;
  /** Element `index` (zero-based) of a list. */
  listElement(list: string, index: number): string;
  /** Whether a JSON object has the member `key` (even when its value is null). */
  jsonHasMember(json: string, key: string): string;
  /** Whether the JSON value (minified JSON text, as the engine writes it) is of the kind given. */
  jsonIs(json: string, kind: 'array' | 'object' | 'null' | 'string' | 'number' | 'boolean'): string;
  /** The elements of a JSON array as a list of JSON values; an empty list for other values. */
  jsonElements(json: string): string;
  /** A list of every scalar (string, number, boolean) anywhere in a JSON value. */
  jsonScalarLeaves(json: string): string;
  /** The string value of a JSON string. */
  jsonString(json: string): string;
  /**
   * The string value of a JSON value as the engine writes it, such as a `jsonPathMembers`
   * element, where it is a JSON string; else NULL. Unlike `jsonString`, it parses no JSON.
   */
  stringValue(json: string): string;
  /**
   * The text a string matcher compares, from a JSON value and, for a JSON string, its string
   * value: strings as they are, numbers and booleans as JavaScript's `String` writes them,
   * objects and arrays as `JSON.stringify` writes them, and NULL for JSON null.
   */
  textOf(json: string, string: string): string;
  /** The value as a number the way JavaScript's `Number` reads it; else NULL. */
  numberOf(json: string, string: string): string;
  /** The value as a UTC instant: epoch milliseconds, or ISO 8601 UTC text; else NULL. */
  instantOf(json: string, string: string): string;
  /** A UTC date part of an instant. */
  datePart(instant: string, part: TimePart): string;

  /** A list literal of the given expressions. */
  list(items: string[]): string;
  /** The list of `map(element)` for each element. */
  listMap(list: string, map: Lambda): string;
  /** The elements for which `predicate` is true. */
  listFilter(list: string, predicate: Lambda): string;
  /** A list of lists joined into one list. */
  listConcat(lists: string): string;
  listLength(list: string): string;
  /** Whether the two lists share an element. */
  listOverlaps(a: string, b: string): string;

  /** Text lower-cased as JavaScript's `toLowerCase` does. */
  lowerText(text: string): string;
  /** Whole-text match of a Sigma wildcard pattern (its text already case-folded as needed). */
  matchPattern(text: string, pattern: Pattern): string;
  /** RE2 search anywhere in the text. */
  regexSearch(text: string, source: string, flags: RegexFlags): string;
  /** The text as an IPv4 address number, as the in-memory CIDR test reads it; else NULL. */
  ipv4Number(text: string): string;
  /** The text as an IPv6 address in 32 lower-case hex digits, as the CIDR test reads it; else NULL. */
  ipv6Hex(text: string): string;
}
