/**
 * Compiles a parsed workbench query to a SQL condition over `events`. Column expressions come
 * only from `QUERY_FIELDS`; every value the user typed becomes a bound parameter.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { timestampValue } from '../store/event-row.ts';
import { ipv4CidrRange } from '../store/timeline-query.ts';
import { DEFAULT_FIELD, QUERY_FIELDS, type QueryField, queryField } from './query-fields.ts';
import { parseQuery, QueryError, type QueryNode } from './query-parse.ts';

/** A SQL condition with its parameters; `sql` is `TRUE` for an empty query. */
export interface CompiledCondition {
  sql: string;
  params: Record<string, DuckDBValue>;
}

type Term = QueryNode & { type: 'term' };

/** Parses and compiles a query; parameter names start with `prefix`. Raises `QueryError`. */
export function compileQuery(text: string, prefix = 'q'): CompiledCondition {
  const node = parseQuery(text);
  const params: Record<string, DuckDBValue> = {};
  if (node === null) return { sql: 'TRUE', params };

  const bind = (value: DuckDBValue): string => {
    const name = `${prefix}${Object.keys(params).length}`;
    params[name] = value;
    return `$${name}`;
  };
  return { sql: compileNode(node, bind), params };
}

type Bind = (value: DuckDBValue) => string;

function compileNode(node: QueryNode, bind: Bind): string {
  if (node.type === 'not') return `(NOT coalesce(${compileNode(node.child, bind)}, FALSE))`;
  if (node.type === 'and' || node.type === 'or') {
    const joiner = node.type === 'and' ? ' AND ' : ' OR ';
    return `(${node.children.map((child) => compileNode(child, bind)).join(joiner)})`;
  }
  return compileTerm(node, bind);
}

function compileTerm(term: Term, bind: Bind): string {
  const target = term.field === null ? DEFAULT_FIELD : queryField(term.field);
  if (target === undefined) {
    throw new QueryError(
      `unknown field ${term.field}; known fields: ${QUERY_FIELDS.map((f) => f.name).join(', ')}`,
      term.at,
    );
  }
  if (term.op !== ':' && target.kind !== 'number' && target.kind !== 'time') {
    throw new QueryError(`field ${target.name} takes no ${term.op} comparison`, term.at);
  }

  switch (target.kind) {
    case 'text':
      return textCondition(target.sql, term, bind, term.field === null);
    case 'contains':
      return textCondition(target.sql, term, bind, true);
    case 'raw':
      return rawCondition(term, bind);
    case 'ip':
      return ipCondition(target, term, bind);
    case 'number':
      return rangeCondition(target, term, bind, (text) => numberValue(target, text, term.at));
    case 'time':
      return timeCondition(target, term, bind);
    case 'bool':
      return `${target.sql} = ${bind(boolValue(target, term.value, term.at))}`;
    case 'tag':
      return tagCondition(term, bind);
    case 'rule':
      return `uid IN (SELECT event_uid FROM detections WHERE ${textMatch('rule_id', term, bind, false)})`;
    case 'star':
      return `${boolValue(target, term.value, term.at) ? '' : 'NOT '}EXISTS (SELECT 1 FROM event_marks m WHERE m.event_uid = events.uid AND m.kind = 'star')`;
  }
}

/**
 * Turns a value into an ILIKE pattern: `*` and `?` are wildcards unless quoted, and the LIKE
 * characters `%`, `_` and `\` match themselves. `contains` wraps the pattern in `%`.
 */
export function likePattern(term: Term, contains: boolean): string {
  let pattern = '';
  for (const char of term.value) {
    if (char === '%' || char === '_' || char === '\\') pattern += `\\${char}`;
    else if (!term.quoted && char === '*') pattern += '%';
    else if (!term.quoted && char === '?') pattern += '_';
    else pattern += char;
  }
  return contains ? `%${pattern}%` : pattern;
}

// A bare word, `resource` and `raw` search as a substring; other field values match whole.
function textCondition(column: string, term: Term, bind: Bind, contains: boolean): string {
  return textMatch(column, term, bind, contains);
}

/** Returns whether a term has a `*` or `?` that acts as a wildcard. */
function hasWildcard(term: Term): boolean {
  return !term.quoted && /[*?]/.test(term.value);
}

/**
 * Compiles a text match, ignoring case. A term without wildcards is an ILIKE. A term with
 * wildcards is an RE2 regular expression instead, because DuckDB 1.5 matches ILIKE (and LIKE
 * with ESCAPE) by backtracking at each `%`. On this project's 2-core machine,
 * `raw:*a*a*a*b` over a record of 1,000 `a`s ran for over four minutes, and meanwhile every
 * other search waited for the shared connection. RE2 matches in time linear in the text.
 */
function textMatch(column: string, term: Term, bind: Bind, contains: boolean): string {
  if (!hasWildcard(term)) return `${column} ILIKE ${bind(likePattern(term, contains))} ESCAPE '\\'`;

  return `regexp_matches(${column}, ${bind(wildcardRegex(term, contains))})`;
}

/**
 * Turns an unquoted term with wildcards into an RE2 pattern that ignores case and lets `.`
 * match a line break: `*` is any text, `?` one character, and every other character matches
 * itself. Without `contains` the pattern is anchored at both ends, as an ILIKE is.
 */
export function wildcardRegex(term: Term, contains: boolean): string {
  let body = '';
  for (const char of term.value) {
    if (char === '*') body += '.*';
    else if (char === '?') body += '.';
    else if (/[\\^$.|+()[\]{}]/.test(char)) body += `\\${char}`;
    else body += char;
  }
  return contains ? `(?is)${body}` : `(?is)^${body}$`;
}

/**
 * Searches the raw record, and the parts of a record stored in parts (see `raw-parts.ts`),
 * where `raw` is NULL. A match may cross the boundary between two parts, so the end of each part
 * joined to the start of the next is searched too, as much of each as a match of the value's
 * characters needs. DuckDB scans the parts once with the pattern, holding only the keys that
 * match, plus the boundary strings for the join.
 *
 * NOTE: a `*` of the value matches at most that many characters across a boundary, so a longer
 * match that spans two parts is missed.
 */
function rawCondition(term: Term, bind: Bind): string {
  const pattern = bind(likePattern(term, true));
  const inParts = `raw_key IN (SELECT raw_key FROM event_raw_parts
      WHERE text ILIKE ${pattern} ESCAPE '\\')`;
  const overlap = [...term.value].length - 1;
  const acrossParts =
    overlap < 1
      ? ''
      : ` OR raw_key IN (SELECT a.raw_key FROM event_raw_parts a
      JOIN (SELECT raw_key, part, left(text, ${overlap}) AS head FROM event_raw_parts) b
        ON b.raw_key = a.raw_key AND b.part = a.part + 1
      WHERE (right(a.text, ${overlap}) || b.head) ILIKE ${pattern} ESCAPE '\\')`;
  return `(raw ILIKE ${pattern} ESCAPE '\\' OR (raw IS NULL AND (${inParts}${acrossParts})))`;
}

// An address without wildcards or letters is compared exactly, which is several times cheaper
// than ILIKE over millions of rows; IPv6 addresses with hex letters still ignore case.
function ipCondition(target: QueryField, term: Term, bind: Bind): string {
  if (!term.quoted && /^[\d.:]+$/.test(term.value)) return `${target.sql} = ${bind(term.value)}`;
  if (term.quoted || !term.value.includes('/')) return textCondition(target.sql, term, bind, false);

  let range: [number, number];
  try {
    range = ipv4CidrRange(term.value);
  } catch {
    throw new QueryError(`${target.name} must be an address or an IPv4 CIDR block`, term.at);
  }
  // The addresses are parsed once per distinct value, and only those that start with the
  // block's whole octets: parsing the address of every event of a million took seconds.
  const prefix = octetPrefix(range[0], Number(term.value.split('/')[1]));
  const candidates = prefix === '' ? '' : ` WHERE starts_with(${target.sql}, ${bind(prefix)})`;
  // HAVING tests an aggregate, which DuckDB cannot push below the grouping, so the parse runs
  // on the groups rather than on every row as a WHERE on the grouped column would.
  return `${target.sql} IN (SELECT ${target.sql} FROM events${candidates} GROUP BY ${target.sql}
    HAVING (${ipv4Number(`min(${target.sql})`)}) BETWEEN ${bind(range[0])} AND ${bind(range[1])})`;
}

/** The dotted text of the octets that every address of a block shares, such as `10.1.`. */
export function octetPrefix(low: number, bits: number): string {
  const octets = [low >>> 24, (low >>> 16) & 255, (low >>> 8) & 255, low & 255];
  const whole = Math.min(Math.floor(bits / 8), 3);
  return octets
    .slice(0, whole)
    .map((octet) => `${octet}.`)
    .join('');
}

// The dotted-quad value of an address column, NULL when it is not IPv4.
function ipv4Number(column: string): string {
  const part = (n: number) => `TRY_CAST(split_part(${column}, '.', ${n}) AS BIGINT)`;
  return `CASE WHEN regexp_full_match(${column}, '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}')
    THEN ${part(1)} * 16777216 + ${part(2)} * 65536 + ${part(3)} * 256 + ${part(4)} END`;
}

function rangeCondition(
  target: QueryField,
  term: Term,
  bind: Bind,
  convert: (text: string) => DuckDBValue,
): string {
  if (term.op !== ':') return `${target.sql} ${term.op} ${bind(convert(term.value))}`;

  const range = term.value.split('..');
  if (range.length === 2) {
    const [low = '', high = ''] = range;
    return `${target.sql} BETWEEN ${bind(convert(low))} AND ${bind(convert(high))}`;
  }
  return `${target.sql} = ${bind(convert(term.value))}`;
}

function numberValue(target: QueryField, text: string, at: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new QueryError(`${target.name} must be a whole number, not ${JSON.stringify(text)}`, at);
  }
  return value;
}

function boolValue(target: QueryField, text: string, at: number): boolean {
  if (/^(true|yes)$/i.test(text)) return true;
  if (/^(false|no)$/i.test(text)) return false;
  throw new QueryError(`${target.name} must be true or false`, at);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const TO_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

// A date alone selects that UTC day, so `time:2024-05-01` finds the whole day. A time to the
// minute selects that minute, and a full instant matches to the millisecond.
function timeCondition(target: QueryField, term: Term, bind: Bind): string {
  const instant = (text: string) => timestampValue(parseInstant(target, text, term.at));
  if (term.op !== ':' || term.value.includes('..')) {
    return rangeCondition(target, term, bind, instant);
  }

  const span = DATE_ONLY.test(term.value) ? 86_400_000 : TO_MINUTE.test(term.value) ? 60_000 : 1;
  const start = Date.parse(parseInstant(target, term.value, term.at));
  const end = new Date(start + span).toISOString();
  return `(time >= ${bind(instant(term.value))} AND time < ${bind(timestampValue(end))})`;
}

/** Parses an ISO 8601 time for a query; a time without a zone is UTC. */
export function parseInstant(target: QueryField, text: string, at: number): string {
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) || DATE_ONLY.test(text) ? text : `${text}Z`;
  const millis = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(zoned) : Number.NaN;
  if (Number.isNaN(millis)) {
    throw new QueryError(
      `${target.name} must be an ISO 8601 time such as 2024-05-01T13:00:00Z, not ${JSON.stringify(text)}`,
      at,
    );
  }
  return new Date(millis).toISOString();
}

function tagCondition(term: Term, bind: Bind): string {
  return `(EXISTS (SELECT 1 FROM event_marks m WHERE m.event_uid = events.uid AND m.kind = 'tag'
      AND ${textMatch('m.value', term, bind, false)})
    OR len(list_filter(tags, t -> ${textMatch('t', term, bind, false)})) > 0)`;
}
