/**
 * SQL for looking up Sigma fields in the raw record, with the in-memory matcher's semantics: a
 * dotted name is tried as a literal key, then as a path whose arrays fan out; the values found
 * are flattened (array elements stand for themselves) before value tests run.
 *
 * Two shapes implement it. The list shape handles every record: each field is a list of JSON
 * values, tested with list functions. The scalar shape handles a field that is missing or has
 * one value that is not an array, with no lists at all; it is much cheaper in DuckDB, and a
 * scan uses it for every event whose fields all have that shape (see `simple`).
 *
 * NOTE: a stored record with a key twice in one object is read with the first value here and
 * with the last by `JSON.parse`, so the backends can differ on such records.
 */
import type { Lambda, SqlDialect } from './dialect.ts';

/** The form a value test compares each flattened value in. */
export type ValueKind =
  | 'flat'
  | 'texts'
  | 'lowers'
  | 'literals'
  | 'strings'
  | 'numbers'
  | 'instants';

/**
 * The list forms of a field: `values` is the list of values found, `flat` the same with nested
 * arrays flattened, `present` whether the field was found, `nonnull` whether a flattened value
 * is not null; the value kinds map each flattened value to the text, lower-cased text, literal
 * text (lower-cased, objects excluded), string or number a value test compares.
 */
export type FieldKind = ValueKind | 'values' | 'present' | 'nonnull';

/** The boolean SQL a compiled condition needs about one field (`null`: the whole record). */
export interface FieldSource {
  /** The field is present, even when null. */
  present(field: string | null): string;
  /** Every value found is null; true for a missing field. */
  allNull(field: string | null): string;
  /** Some flattened value is not null. */
  nonnull(field: string | null): string;
  /** Some flattened value, in the given form, satisfies the predicate. */
  any(field: string | null, kind: ValueKind, predicate: Lambda): string;
  /** Whether both fields have a non-null text, and whether some text of one equals one of the other. */
  overlap(
    field: string | null,
    other: string | null,
    kind: 'texts' | 'lowers',
  ): { nonEmpty: string; equal: string };
}

/**
 * Levels of nested arrays flattened in SQL. The in-memory matcher flattens arrays of any depth.
 *
 * NOTE: an array nested more than this many levels inside another (`[[[[x]]]]`) on a field's
 * path or value is matched differently by the two backends.
 */
export const ARRAY_DEPTH = 3;

/** Builds the list SQL of one field kind from the JSON record expression and other kinds. */
export function fieldKindSql(
  dialect: SqlDialect,
  record: string,
  field: string | null,
  kind: FieldKind,
  other: (kind: FieldKind) => string,
): string {
  const d = dialect;
  switch (kind) {
    case 'values':
      return field === null ? d.jsonScalarLeaves(record) : valuesSql(d, record, field);
    case 'present':
      if (field === null) return 'TRUE';
      if (!field.includes('.')) return d.jsonHasMember(record, field);
      return `(${d.listLength(other('values'))} > 0)`;
    case 'flat':
      return field === null ? other('values') : flattenSql(d, other('values'), ARRAY_DEPTH);
    case 'nonnull':
      return `(${d.listLength(d.listFilter(other('flat'), (v) => `NOT ${d.jsonIs(v, 'null')}`))} > 0)`;
    case 'lowers':
      return d.listMap(other('texts'), (t) => d.lowerText(t));
    default:
      return d.listMap(other('flat'), (v) => scalarKindSql(d, kind, v, d.jsonString(v)));
  }
}

/**
 * The SQL of one value kind for a single JSON value `json` whose string value, when it is a
 * JSON string, is `string`.
 */
export function scalarKindSql(
  d: SqlDialect,
  kind: ValueKind,
  json: string,
  string: string,
): string {
  switch (kind) {
    case 'flat':
      return json;
    case 'texts':
      return d.textOf(json, string);
    case 'lowers':
      return d.lowerText(d.textOf(json, string));
    case 'literals':
      return (
        `CASE WHEN ${d.jsonIs(json, 'object')} OR ${d.jsonIs(json, 'array')} THEN NULL ` +
        `ELSE ${d.lowerText(d.textOf(json, string))} END`
      );
    case 'strings':
      return `CASE WHEN ${d.jsonIs(json, 'string')} THEN ${string} ELSE NULL END`;
    case 'numbers':
      return d.numberOf(json, string);
    case 'instants':
      return d.instantOf(json, string);
  }
}

/** The list shape of `FieldSource`, over columns or expressions that `column` returns. */
export function listOperations(
  d: SqlDialect,
  column: (field: string | null, kind: FieldKind) => string,
): FieldSource {
  const any = (list: string, predicate: Lambda) =>
    `(${d.listLength(d.listFilter(list, predicate))} > 0)`;
  const texts = (field: string | null, kind: 'texts' | 'lowers') =>
    d.listFilter(column(field, kind), (t) => `${t} IS NOT NULL`);
  return {
    present: (field) => column(field, 'present'),
    allNull: (field) =>
      `(${d.listLength(d.listFilter(column(field, 'values'), (v) => `NOT ${d.jsonIs(v, 'null')}`))} = 0)`,
    nonnull: (field) => column(field, 'nonnull'),
    any: (field, kind, predicate) => any(column(field, kind), predicate),
    overlap(field, other, kind) {
      const mine = texts(field, kind);
      const theirs = texts(other, kind);
      return {
        nonEmpty: `${d.listLength(mine)} > 0 AND ${d.listLength(theirs)} > 0`,
        equal: d.listOverlaps(mine, theirs),
      };
    },
  };
}

function memberList(d: SqlDialect, json: string, key: string): string {
  return `CASE WHEN ${d.jsonHasMember(json, key)} THEN ${d.list([d.jsonMember(json, key)])} ELSE ${EMPTY} END`;
}

const EMPTY = 'CAST([] AS JSON[])';

function valuesSql(d: SqlDialect, record: string, field: string): string {
  if (!field.includes('.')) return memberList(d, record, field);

  // The literal key wins; otherwise walk the path, fanning out over arrays at every step.
  // Each step is its own list function over the previous one: nested lambdas cost DuckDB
  // memory that multiplies with the nesting depth.
  let level = d.list([record]);
  for (const [index, key] of field.split('.').entries()) {
    const expanded = index === 0 ? level : flattenSql(d, level, ARRAY_DEPTH);
    const objects = d.listFilter(expanded, (x) => d.jsonHasMember(x, key));
    level = d.listMap(objects, (x) => d.jsonMember(x, key));
  }
  return `CASE WHEN ${d.jsonHasMember(record, field)} THEN ${d.list([d.jsonMember(record, field)])} ELSE ${level} END`;
}

/** Replaces array elements of a list by their elements, `depth` times. */
function flattenSql(d: SqlDialect, list: string, depth: number): string {
  let result = list;
  for (let level = 0; level < depth; level++) {
    result = d.listConcat(
      d.listMap(
        result,
        (e) =>
          `CASE WHEN ${d.jsonIs(e, 'array')} THEN ${d.jsonElements(e)} ELSE ${d.list([e])} END`,
      ),
    );
  }
  return result;
}

/**
 * A field's value in the scalar shape, read through `member` (which returns a per-path SQL
 * value, such as the JSON value there), and `present` returns what is non-NULL where a path has
 * a value. Valid only where `simpleSql` is true. The literal dotted key wins over the path.
 */
export function scalarValueSql(
  field: string,
  present: (keys: string[]) => string,
  member: (keys: string[]) => string,
): string {
  if (!field.includes('.')) return member([field]);
  return `CASE WHEN ${present([field])} IS NOT NULL THEN ${member([field])} ELSE ${member(field.split('.'))} END`;
}

/**
 * Whether a field has the scalar shape in a record: it is missing or has one value that is not
 * an array, and no non-empty array lies on its path (an empty array gives no value, like a
 * missing member). For a path of object members, `isArray` returns SQL true where the value
 * there is an array, `present` where there is a value, and `hasElements` whether the value may be a
 * non-empty array. `hasElements` may be true for other values too: such records then go to the
 * exact list shape.
 */
export function simpleSql(
  field: string,
  isArray: (keys: string[]) => string,
  present: (keys: string[]) => string,
  hasElements: (keys: string[]) => string,
): string {
  const notArray = (keys: string[]) => `coalesce(NOT ${isArray(keys)}, TRUE)`;
  if (!field.includes('.')) return notArray([field]);

  const keys = field.split('.');
  const steps = keys.map((_, index) =>
    index === keys.length - 1 ? notArray(keys) : `NOT ${hasElements(keys.slice(0, index + 1))}`,
  );
  return `CASE WHEN ${present([field])} THEN ${notArray([field])} ELSE (${steps.join(' AND ')}) END`;
}
