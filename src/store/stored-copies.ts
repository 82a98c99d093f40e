/**
 * Columns of `events` that hold copies of raw CloudTrail fields, and the check, made while an
 * ingest appends the rows, that each copy equals what a Sigma rule reads from the stored record.
 * A hunt that can trust the copies tests a column instead of parsing every record.
 */
import { EVENT_COLUMNS, type EventRowValues } from './event-row.ts';

/** The source whose events keep copies of raw fields in stored columns. */
export const COPIES_SOURCE = 'aws.cloudtrail';

/**
 * The raw fields, as Sigma rules name them, and the columns that hold their copies. The
 * CloudTrail normalizer stores each field as it is when it is a string, and NULL otherwise.
 * `status_detail` also contains other text when `errorCode` is missing, `actor_type` is
 * `AWSService` when `userIdentity.type` is missing or null and only `invokedBy` names the
 * principal, and `actor_uid` names the principal by other fields when `userIdentity.arn` is
 * missing. Rules cannot match a literal in a missing or null field, so these still serve.
 * `actor_uid` is no copy for an `AWSService` identity with an ARN, whose events the ingest
 * check finds unequal.
 */
export const STORED_COPIES: Readonly<Record<string, string>> = {
  eventName: 'api_operation',
  eventSource: 'api_service',
  userAgent: 'user_agent',
  errorCode: 'status_detail',
  'userIdentity.type': 'actor_type',
  'userIdentity.arn': 'actor_uid',
};

const columnIndex = (name: string) => EVENT_COLUMNS.findIndex((column) => column.name === name);

const UID = columnIndex('uid');
const SOURCE = columnIndex('source');
const RAW = columnIndex('raw');
// The quoted keys the check looks for: at the top level, the fields with copies (each with the
// row index of its copy), `userIdentity`, and the dotted keys that a rule would read first.
// Inside `userIdentity`, the members with copies.
const IDENTITY = 'userIdentity.';
const IDENTITY_KEY = '"userIdentity"';
const quotedCopies = (fields: [string, string][], prefix: string): [string, number][] =>
  fields.map(([field, column]) => [
    JSON.stringify(field.slice(prefix.length)),
    columnIndex(column),
  ]);
const IDENTITY_COPIES = Object.entries(STORED_COPIES).filter(([field]) =>
  field.startsWith(IDENTITY),
);
const IDENTITY_KEYS = quotedCopies(IDENTITY_COPIES, IDENTITY);
const DOTTED_KEYS = new Set(IDENTITY_COPIES.map(([field]) => JSON.stringify(field)));
const TOP_LEVEL_KEYS: [string, number][] = [
  ...quotedCopies(
    Object.entries(STORED_COPIES).filter(([field]) => !field.includes('.')),
    '',
  ),
  [IDENTITY_KEY, -1],
  ...[...DOTTED_KEYS].map((key): [string, number] => [key, -1]),
];
const KEY_LENGTHS = new Set(TOP_LEVEL_KEYS.map(([name]) => name.length));
// Bits of `seen` past those of the top-level keys mark the members of `userIdentity`.
const IDENTITY_BIT = 1 << TOP_LEVEL_KEYS.length;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Tells whether every stored copy of a CloudTrail row is missing, null or equal to its field in
 * the row's `raw` text as DuckDB reads it. DuckDB takes the first of two equal keys and
 * `JSON.parse` the last, so the parsed record cannot tell, and the text is read in one pass
 * instead. Any doubt returns false: a key that occurs twice, a key with escapes, an array on
 * the path, a top-level key named like a dotted field, or a value that is neither null nor a
 * string.
 */
export function copiesHoldInRow(values: EventRowValues): boolean {
  const text = values[RAW];
  if (typeof text !== 'string') return false;

  let seen = 0;
  let depth = 0;
  let nextBackslash = -1;
  // Where the object of `userIdentity` opens, and its depth once it has opened.
  let identityStart = -1;
  let identityDepth = -1;
  for (let at = 0; at < text.length; at++) {
    const char = text.charCodeAt(at);
    if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      depth++;
      if (at === identityStart) identityDepth = depth;
      continue;
    }
    if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      if (depth === identityDepth) identityDepth = -1;
      depth--;
      continue;
    }
    if (char !== QUOTE) continue;

    const end = stringEnd(text, at);
    if (end < 0) return false;
    const start = at;
    at = end - 1;
    if (depth !== 1 && depth !== identityDepth) continue;

    if (nextBackslash < start && nextBackslash !== Number.POSITIVE_INFINITY) {
      const found = text.indexOf('\\', start);
      nextBackslash = found < 0 ? Number.POSITIVE_INFINITY : found;
    }
    const escaped = nextBackslash < end;
    const key = escaped ? -2 : keyAt(text, start, end, depth === 1);
    if (key === -1 || text.charCodeAt(skipSpace(text, end)) !== COLON) continue;
    // A key with escapes may spell one of the keys looked for.
    if (key === -2) return false;

    const bit = depth === 1 ? 1 << key : IDENTITY_BIT << key;
    if ((seen & bit) !== 0) return false;
    seen |= bit;
    if (depth !== 1) {
      const copy = IDENTITY_KEYS[key]?.[1] ?? -1;
      if (!valueHolds(text, end, values[copy] ?? null)) return false;
      continue;
    }
    const [name, copy] = TOP_LEVEL_KEYS[key] ?? ['', -1];
    // A rule reads a top-level key named with a dot before the path it names.
    if (DOTTED_KEYS.has(name)) return false;
    if (name === IDENTITY_KEY) {
      identityStart = valueStart(text, end);
      // An array fans out to the members of its elements.
      if (text.charCodeAt(identityStart) === OPEN_ARRAY) return false;
      continue;
    }
    if (!valueHolds(text, end, values[copy] ?? null)) return false;
  }
  return true;
}

/**
 * Returns the position of the string from `start` to `end` in `TOP_LEVEL_KEYS`, or with
 * `topLevel` false in `IDENTITY_KEYS`, and -1 for any other string.
 */
function keyAt(text: string, start: number, end: number, topLevel: boolean): number {
  const length = end - start;
  if (topLevel && !KEY_LENGTHS.has(length)) return -1;
  const keys = topLevel ? TOP_LEVEL_KEYS : IDENTITY_KEYS;
  for (let index = 0; index < keys.length; index++) {
    const name = keys[index]![0];
    if (name.length === length && text.startsWith(name, start)) return index;
  }
  return -1;
}

/** Returns the index of the value after a key that ends at `keyEnd`. */
function valueStart(text: string, keyEnd: number): number {
  return skipSpace(text, skipSpace(text, keyEnd) + 1);
}

/** Checks the value after a key that ends at `keyEnd`: null, or a string equal to `copy`. */
function valueHolds(text: string, keyEnd: number, copy: unknown): boolean {
  const at = valueStart(text, keyEnd);
  if (text.startsWith('null', at)) return true;
  if (text.charCodeAt(at) !== QUOTE || typeof copy !== 'string') return false;

  const end = stringEnd(text, at);
  if (end < 0) return false;
  const token = text.slice(at, end);
  if (!token.includes('\\')) return token.slice(1, -1) === copy;
  try {
    return JSON.parse(token) === copy;
  } catch {
    return false;
  }
}

/** Returns the index after the string that opens at `start`, or -1 when it does not end. */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

function skipSpace(text: string, from: number): number {
  let at = from;
  for (;;) {
    const char = text.charCodeAt(at);
    if (char !== 0x20 && char !== 0x0a && char !== 0x0d && char !== 0x09) return at;
    at++;
  }
}

/**
 * Maximum CloudTrail events of one ingest whose copies it cannot vouch for. Past it, the ingest
 * writes no record and a hunt checks every record, as for a case without a record.
 */
export const MAX_UNVERIFIED = 10_000;

/**
 * Collects, while an ingest appends rows, the uids of the CloudTrail events whose stored copies
 * `copiesHoldInRow` could not vouch for.
 */
export class CopiesCheck {
  readonly unverified: string[] = [];
  /** Whether more than `MAX_UNVERIFIED` events failed the check. */
  overflow = false;

  /** Checks one row, given before the appender converts it. */
  addRow(values: EventRowValues): void {
    if (values[SOURCE] !== COPIES_SOURCE || copiesHoldInRow(values)) return;
    if (this.unverified.length < MAX_UNVERIFIED) this.unverified.push(String(values[UID]));
    else this.overflow = true;
  }
}
