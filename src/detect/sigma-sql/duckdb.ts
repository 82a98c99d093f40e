/**
 * The DuckDB dialect (DuckDB 1.5, JSON extension built in, RE2 regexes). Helpers that the
 * compiled expressions share are temporary macros created by `prelude()` on each connection.
 */
import { MAX_KEYWORD_STEPS } from '../sigma/fields.ts';
import type { TimePart } from '../sigma/model.ts';
import type { SqlDialect } from './dialect.ts';

// The characters JavaScript's `String.prototype.trim` and `Number` strip: WhiteSpace and
// LineTerminator of ECMAScript, as an RE2 class.
const JS_SPACE = '[\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{FEFF}\\x{2028}\\x{2029}\\p{Zs}]';
// JavaScript's StrDecimalLiteral without Infinity, which `Number` reads but never as finite.
const JS_DECIMAL = '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?';
// Node's `isIPv4`: four decimal octets without leading zeros.
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
// Node's `isIPv6` (Node 20) on text without a zone id (ipv6-pattern.test.ts compares them):
// eight groups, `::` for a run of zero groups, an optional dotted IPv4 tail.
const V4_STR = `(${OCTET}\\.){3}${OCTET}`;
const V6_SEG = '[0-9a-fA-F]{1,4}';
/** The RE2 pattern of an IPv6 address without a zone id, as Node's `isIPv6` reads it. */
export const IPV6 = [
  `(${V6_SEG}:){7}(${V6_SEG}|:)`,
  `(${V6_SEG}:){6}(${V4_STR}|:${V6_SEG}|:)`,
  `(${V6_SEG}:){5}(:${V4_STR}|(:${V6_SEG}){1,2}|:)`,
  `(${V6_SEG}:){4}((:${V6_SEG}){0,1}:${V4_STR}|(:${V6_SEG}){1,3}|:)`,
  `(${V6_SEG}:){3}((:${V6_SEG}){0,2}:${V4_STR}|(:${V6_SEG}){1,4}|:)`,
  `(${V6_SEG}:){2}((:${V6_SEG}){0,3}:${V4_STR}|(:${V6_SEG}){1,5}|:)`,
  `(${V6_SEG}:){1}((:${V6_SEG}){0,4}:${V4_STR}|(:${V6_SEG}){1,6}|:)`,
  `(:((:${V6_SEG}){0,5}:${V4_STR}|(:${V6_SEG}){1,7}|:))`,
].join('|');
const V4_TAIL = '[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$';
// ISO 8601 instants with a zone, a form every JavaScript engine parses the same way.
//
// NOTE: JavaScript's Date also reads other forms (local times, more fraction digits, a day past
// the month's end, which it rolls over); the SQL backend reads those as no date.
const ISO_ZONED =
  '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2})';
// The control characters whose \\u escape has a hex letter.
const UPPER_ESCAPES = ['000B', '000E', '000F', '001A', '001B', '001C', '001D', '001E', '001F'];
// The escape sequence DuckDB writes in a JSON string for each control character, with its code.
const CONTROL_ESCAPES: readonly (readonly [string, number])[] = Array.from(
  { length: 32 },
  (_, code) => {
    const short = { 8: 'b', 9: 't', 10: 'n', 12: 'f', 13: 'r' }[code];
    return [short ?? `u${code.toString(16).toUpperCase().padStart(4, '0')}`, code] as const;
  },
);
const NUMBER_STARTS = "('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')";

/**
 * Macros over JSON values and text. Each mirrors one function of the in-memory matcher; see the
 * comment above each for where DuckDB's own output differs and how the macro corrects it.
 */
const MACROS: readonly string[] = [
  // ECMAScript Number::toString from the digits d and decimal exponent e of DuckDB's scientific
  // form: exponent form from 1e21 and below 1e-6, plain digits between.
  `cc_js_scientific(negative, d, e) AS (CASE WHEN negative THEN '-' ELSE '' END) || CASE
     WHEN e >= 21 OR e <= -7 THEN
       (CASE WHEN length(d) > 1 THEN left(d, 1) || '.' || substr(d, 2) ELSE d END)
       || 'e' || (CASE WHEN e > 0 THEN '+' ELSE '-' END) || CAST(abs(e) AS VARCHAR)
     WHEN e >= 0 THEN (CASE WHEN length(d) <= e + 1 THEN d || repeat('0', e + 1 - length(d))
       ELSE left(d, e + 1) || '.' || substr(d, e + 2) END)
     ELSE '0.' || repeat('0', -e - 1) || d END`,
  // DuckDB writes a DOUBLE with its shortest round-trip digits, as plain digits with ".0" for
  // whole numbers or in scientific form (1e+16, 1e-06).
  `cc_js_double(s) AS CASE
     WHEN s = '-0.0' THEN '0'
     WHEN NOT contains(s, 'e') THEN (CASE WHEN ends_with(s, '.0') THEN left(s, -2) ELSE s END)
     ELSE cc_js_scientific(starts_with(s, '-'), replace(split_part(ltrim(s, '-'), 'e', 1), '.', ''),
       CAST(split_part(s, 'e', 2) AS INTEGER)) END`,
  // Numbers that records keep as their text when parsed (see `parseJsonLossless`): integers
  // beyond 2^53 - 1 and numbers beyond the double range. DuckDB returns their text as written.
  `cc_lossy_number(t) AS (regexp_full_match(t, '-?[0-9]+') AND (length(ltrim(t, '-')) > 16
     OR (length(ltrim(t, '-')) = 16 AND ltrim(t, '-') > '9007199254740991')))
     OR coalesce(isinf(TRY_CAST(t AS DOUBLE)), false)`,
  // A JSON number's text as JavaScript's `String` writes the number: the record may spell it
  // another way (1.0, 1E3). A number kept as text keeps its digits.
  `cc_number_text(t) AS CASE WHEN cc_lossy_number(t) THEN t
     ELSE cc_js_double(CAST(CAST(t AS DOUBLE) AS VARCHAR)) END`,
  // yyjson writes control characters as \\u001F; JSON.stringify writes \\u001f. Raw control
  // characters never occur in JSON text, so chr(1) can stand for escaped backslashes meanwhile.
  `cc_string_escapes(t) AS CASE WHEN NOT contains(t, '\\u00') THEN t ELSE replace(${UPPER_ESCAPES.reduce(
    (sql, code) => `replace(${sql}, '\\u${code}', '\\u${code.toLowerCase()}')`,
    "replace(t, '\\\\', chr(1))",
  )}, chr(1), '\\\\') END`,
  // Splits JSON text into strings, numbers and the rest, to rewrite the numbers only; text with
  // no fraction, exponent or long integer needs no rewriting.
  `cc_stringify(t) AS CASE WHEN NOT regexp_matches(t, '[0-9][.eE]|[0-9]{16}') THEN cc_string_escapes(t)
     ELSE array_to_string(list_transform(
       regexp_extract_all(cc_string_escapes(t), '"(?:[^"\\\\]|\\\\.)*"|-?[0-9][0-9.eE+-]*|[^"0-9-]+'),
       lambda p: CASE WHEN NOT regexp_full_match(p, '-?[0-9].*') THEN p
         WHEN cc_lossy_number(p) THEN '"' || p || '"' ELSE cc_number_text(p) END), '') END`,
  // JSON values are told apart by their first character, because every call of a DuckDB JSON
  // function holds about a megabyte of working memory per thread, and rules make hundreds.
  `cc_text_of(t, s) AS CASE
     WHEN starts_with(t, '"') THEN s
     WHEN starts_with(t, 'n') THEN NULL
     WHEN starts_with(t, '{') OR starts_with(t, '[') THEN cc_stringify(t)
     WHEN starts_with(t, 't') OR starts_with(t, 'f') THEN t
     ELSE cc_number_text(t) END`,
  // The string value of a JSON string written by DuckDB (`json_extract`), NULL for other values.
  // DuckDB 1.5 writes UTF-8 as it is and escapes only the quote, the backslash and control
  // characters, so a string without a backslash is the text between its quotes. A JSON function
  // here would hold about a megabyte of working memory per call site and thread (measured).
  `cc_json_string(t) AS CASE
     WHEN NOT starts_with(t, '"') THEN NULL
     WHEN NOT contains(t, '\\') THEN split_part(t, '"', 2)
     ELSE array_to_string(list_transform(string_split(substr(t, 2, length(t) - 2), '\\\\'),
       lambda p: ${CONTROL_ESCAPES.reduce(
         (sql, [sequence, code]) => `replace(${sql}, '\\${sequence}', chr(${code}))`,
         "replace(p, '\\\"', '\"')",
       )}), '\\') END`,
  // JavaScript lower-cases U+0130 to "i" and a combining dot above; DuckDB drops the dot.
  // NOTE: JavaScript also writes a word-final capital sigma as ς where DuckDB writes σ, so
  // case-insensitive matches of Greek text ending in Σ can differ between the backends.
  `cc_lower(t) AS lower(replace(t, '\u0130', 'i\u0307'))`,
  `cc_js_trim(t) AS regexp_replace(t, '^${JS_SPACE}+|${JS_SPACE}+$', '', 'g')`,
  // The in-memory matcher compares finite numbers only, so a value beyond the double range
  // compares as no number.
  `cc_finite(x) AS CASE WHEN isinf(x) THEN NULL ELSE x END`,
  // Decimal text only, as the in-memory matcher reads it: hexadecimal or binary text is no number.
  `cc_trimmed_number(t) AS CASE
     WHEN regexp_full_match(t, '${JS_DECIMAL}') THEN cc_finite(TRY_CAST(t AS DOUBLE))
     ELSE NULL END`,
  `cc_number_of(t, s) AS CASE
     WHEN left(t, 1) IN ${NUMBER_STARTS} THEN cc_finite(TRY_CAST(t AS DOUBLE))
     WHEN left(t, 1) = '"' THEN cc_trimmed_number(cc_js_trim(s))
     ELSE NULL END`,
  `cc_ipv4_digits(t) AS CASE WHEN regexp_full_match(t, '${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}')
     THEN list_reduce(list_transform(string_split(t, '.'), lambda x: CAST(x AS BIGINT)),
       lambda a, b: a * 256 + b) ELSE NULL END`,
  `cc_ipv4(t) AS cc_ipv4_digits(regexp_replace(cc_js_trim(t), '%[^\\n\\r\\x{2028}\\x{2029}]*$', ''))`,
  // An IPv6 address as 32 lower-case hex digits, as cidr.ts reads it: a dotted IPv4 tail
  // becomes two groups, `::` the zero groups it stands for, and each group is padded to four.
  `cc_ipv6_groups(s) AS CASE WHEN s = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(s, ':') END`,
  `cc_ipv6_tail(a) AS CASE WHEN regexp_matches(a, '${V4_TAIL}')
     THEN regexp_replace(a, '${V4_TAIL}', '') || printf('%x:%x',
       cc_ipv4_digits(regexp_extract(a, '${V4_TAIL}')) // 65536,
       cc_ipv4_digits(regexp_extract(a, '${V4_TAIL}')) % 65536)
     ELSE a END`,
  `cc_ipv6_expand(a) AS lower(array_to_string(list_transform(CASE WHEN contains(a, '::') THEN
     list_concat(cc_ipv6_groups(split_part(a, '::', 1)), list_concat(
       list_transform(range(8 - len(cc_ipv6_groups(split_part(a, '::', 1)))
         - len(cc_ipv6_groups(split_part(a, '::', 2)))), lambda i: '0'),
       cc_ipv6_groups(split_part(a, '::', 2))))
     ELSE string_split(a, ':') END, lambda g: lpad(g, 4, '0')), ''))`,
  `cc_ipv6_hex(a) AS CASE WHEN regexp_full_match(a, '${IPV6}')
     THEN cc_ipv6_expand(cc_ipv6_tail(a)) ELSE NULL END`,
  `cc_ipv6(t) AS cc_ipv6_hex(regexp_replace(cc_js_trim(t), '%[^\\n\\r\\x{2028}\\x{2029}]*$', ''))`,
  // Epoch milliseconds (truncated, within JavaScript's date range) or an ISO UTC instant.
  `cc_iso_instant(s) AS CASE WHEN regexp_full_match(s, '${ISO_ZONED}') THEN
     CASE WHEN ends_with(s, 'Z') THEN TRY_CAST(replace(left(s, -1), 'T', ' ') AS TIMESTAMP)
     ELSE TRY_CAST(replace(left(s, -6), 'T', ' ') AS TIMESTAMP) - to_minutes(
       (CASE WHEN substr(s, -6, 1) = '-' THEN -1 ELSE 1 END)
       * (CAST(substr(s, -5, 2) AS INTEGER) * 60 + CAST(substr(s, -2, 2) AS INTEGER))) END
     ELSE NULL END`,
  `cc_instant_of(t, s) AS CASE
     WHEN left(t, 1) IN ${NUMBER_STARTS} AND abs(TRY_CAST(t AS DOUBLE)) <= 8.64e15
       THEN make_timestamp(CAST(trunc(TRY_CAST(t AS DOUBLE)) AS BIGINT) * 1000)
     WHEN left(t, 1) = '"' THEN cc_iso_instant(s)
     ELSE NULL END`,
];

const DATE_PART_SQL: Record<TimePart, string> = {
  minute: 'minute',
  hour: 'hour',
  day: 'day',
  week: 'week',
  month: 'month',
  year: 'year',
};

/** JSON Pointer (RFC 6901) of object members: `~` and `/` are escaped in each key. */
function pointer(...keys: string[]): string {
  return keys.map((key) => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

let lambdaCount = 0;

// Every lambda gets its own variable, so nested lambdas never shadow one another.
function lambdaVariable(): string {
  lambdaCount = (lambdaCount + 1) % 1_000_000;
  return `v${lambdaCount}`;
}

function regexEscape(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, (char) => `\\${char}`);
}

/** The DuckDB dialect. */
export const duckdb: SqlDialect = {
  name: 'duckdb',

  prelude: () => MACROS.map((macro) => `CREATE OR REPLACE TEMP MACRO ${macro}`),

  // Each call site of a DuckDB 1.5 JSON function holds working memory of about one to two
  // megabytes per thread for the whole query, whatever the number of rows, so scans count JSON
  // calls and split at a budget.
  memoryCost: (sql) => (sql.match(/\bjson_[a-z_]+\(/g) ?? []).length,
  scanBudget: 160,
  // Filter pushdown copies a projection's expressions into every filter that reads its
  // columns, so a field extracted once would be extracted again in each rule's condition.
  // DuckDB keeps the `events` blocks it reads in its buffer pool up to the memory limit. Under
  // 1 GB, a hunt of 1,000,000 CloudTrail events kept 850 MB of them, so scans use the 256 MB
  // limit a case is opened with for writing.
  scanSettings: [
    ['memory_limit', "'256MB'"],
    ['disabled_optimizers', "'filter_pushdown'"],
  ],
  // Reads and inserts of the matches need filter pushdown: storing 858,000 matches without it
  // took five times as long.
  scanOnlySettings: ['disabled_optimizers'],
  // With filter pushdown, DuckDB tests a filter on one column while it reads the table, so it
  // reads the other columns of the matching rows only. Without it, every `raw` is read.
  columnScanSettings: [['disabled_optimizers', "''"]],

  stringLiteral(text) {
    // DuckDB string literals take every character but NUL as it is once quotes are doubled.
    const pieces = text.split('\u0000').map((piece) => `'${piece.replaceAll("'", "''")}'`);
    return pieces.length === 1 ? pieces[0]! : `(${pieces.join(' || chr(0) || ')})`;
  },

  numberLiteral(value) {
    if (!Number.isFinite(value)) throw new Error('numberLiteral needs a finite number');
    return `CAST('${String(value)}' AS DOUBLE)`;
  },

  parseJson: (column) => `CAST(${column} AS JSON)`,
  jsonMember: (json, key) => `json_extract(${json}, ${duckdb.stringLiteral(pointer(key))})`,
  jsonPathMembers: (json, paths) =>
    `json_extract(${json}, [${paths.map((keys) => duckdb.stringLiteral(pointer(...keys))).join(', ')}])`,
  jsonPathKinds: (json, paths) =>
    `json_type(${json}, [${paths.map((keys) => duckdb.stringLiteral(pointer(...keys))).join(', ')}])`,
  jsonPathBytes(json, paths) {
    const pointers = paths.map((keys) => duckdb.stringLiteral(pointer(...keys))).join(', ');
    const texts = `json_extract_string(${json}, [${pointers}])`;
    return duckdb.listMap(texts, (text) => `strlen(${text})`);
  },
  kindIsArray: (kind) => `(${kind} = 'ARRAY')`,
  jsonObjectKeys: (json, paths) =>
    `json_keys(${json}, [${paths.map((keys) => duckdb.stringLiteral(pointer(...keys))).join(', ')}])`,
  listElement: (list, index) => `${list}[${index + 1}]`,
  jsonHasMember: (json, key) =>
    `(${duckdb.jsonIs(json, 'object')} AND json_exists(${json}, ${duckdb.stringLiteral(pointer(key))}))`,
  jsonIs(json, kind) {
    const text = `CAST(${json} AS VARCHAR)`;
    if (kind === 'number') return `(left(${text}, 1) IN ${NUMBER_STARTS})`;
    if (kind === 'boolean') return `(starts_with(${text}, 't') OR starts_with(${text}, 'f'))`;
    const char = { array: '[', object: '{', null: 'n', string: '"' }[kind];
    return `starts_with(${text}, '${char}')`;
  },
  jsonElements: (json) =>
    `(CASE WHEN ${duckdb.jsonIs(json, 'array')} THEN json_extract(${json}, '$[*]') ELSE CAST([] AS JSON[]) END)`,
  // The in-memory matcher's step bound (MAX_KEYWORD_STEPS), counted on json_tree's path text:
  // one `.` or `[` per key or index, plus those inside keys, which the path leaves unquoted.
  jsonScalarLeaves: (json) =>
    `(SELECT coalesce(list(t.value), CAST([] AS JSON[])) FROM json_tree(${json}) AS t
      WHERE t.type NOT IN ('OBJECT', 'ARRAY', 'NULL')
        AND len(t.fullkey) - len(replace(replace(t.fullkey, '.', ''), '[', '')) <= ${MAX_KEYWORD_STEPS})`,
  jsonString: (json) => `json_extract_string(${json}, '$')`,
  stringValue: (json) => `cc_json_string(CAST(${json} AS VARCHAR))`,
  textOf: (json, string) => `cc_text_of(CAST(${json} AS VARCHAR), ${string})`,
  numberOf: (json, string) => `cc_number_of(CAST(${json} AS VARCHAR), ${string})`,
  instantOf: (json, string) => `cc_instant_of(CAST(${json} AS VARCHAR), ${string})`,
  datePart: (instant, part) => `${DATE_PART_SQL[part]}(${instant})`,

  list: (items) => `[${items.join(', ')}]`,
  listMap(list, map) {
    const variable = lambdaVariable();
    return `list_transform(${list}, lambda ${variable}: ${map(variable)})`;
  },
  listFilter(list, predicate) {
    const variable = lambdaVariable();
    return `list_filter(${list}, lambda ${variable}: ${predicate(variable)})`;
  },
  listConcat: (lists) => `flatten(${lists})`,
  listLength: (list) => `len(${list})`,
  listOverlaps: (a, b) => `list_has_any(${a}, ${b})`,

  lowerText: (text) => `cc_lower(${text})`,

  matchPattern(text, pattern) {
    const parts = pattern.parts;
    const literal = (value: string) => duckdb.stringLiteral(value);
    const [first, second, third] = parts;
    if (parts.length === 0) return `(${text} = '')`;
    if (parts.length === 1 && first?.kind === 'text') return `(${text} = ${literal(first.text)})`;
    if (parts.length === 1 && first?.kind === 'any') return `(${text} IS NOT NULL)`;
    if (parts.length === 3 && first?.kind === 'any' && third?.kind === 'any') {
      if (second?.kind === 'text') return `contains(${text}, ${literal(second.text)})`;
    }
    if (parts.length === 2 && first?.kind === 'text' && second?.kind === 'any') {
      return `starts_with(${text}, ${literal(first.text)})`;
    }
    if (parts.length === 2 && first?.kind === 'any' && second?.kind === 'text') {
      return `ends_with(${text}, ${literal(second.text)})`;
    }

    // DuckDB 1.5 matches LIKE with ESCAPE by backtracking at each `%`: `*a*a*b` over 2,000
    // characters `a` took about 5 s, and time grows with a power of the text length per `*`.
    // RE2 matches in time linear in the text; `(?s)` lets `.` match a line break as `%` does.
    const regex = parts
      .map((part) =>
        part.kind === 'any' ? '.*' : part.kind === 'one' ? '.' : regexEscape(part.text),
      )
      .join('');
    return `regexp_full_match(${text}, ${literal(`(?s)${regex}`)})`;
  },

  regexSearch(text, source, flags) {
    const on = `${flags.i ? 'i' : ''}${flags.m ? 'm' : ''}${flags.s ? 's' : ''}`;
    const prefix = on === '' ? '' : `(?${on})`;
    return `regexp_matches(${text}, ${duckdb.stringLiteral(prefix + source)})`;
  },

  ipv4Number: (text) => `cc_ipv4(${text})`,
  ipv6Hex: (text) => `cc_ipv6(${text})`,
};
