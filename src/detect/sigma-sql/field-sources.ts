/**
 * Ways to give compiled conditions their field values: inline, where each reference is the
 * full lookup expression (a standalone boolean expression over one `events` row), and as
 * columns of a shared scan, where each field is extracted once for every rule that reads it,
 * in the list shape or the cheaper scalar shape (see `fields.ts`).
 */
import type { Lambda, SqlDialect } from './dialect.ts';
import {
  type FieldKind,
  type FieldSource,
  fieldKindSql,
  listOperations,
  scalarKindSql,
  scalarValueSql,
  simpleSql,
  type ValueKind,
} from './fields.ts';

/** Number of projection layers a shared scan stacks before the conditions. */
export const SCAN_LAYERS = 4;

const LIST_LAYER: Record<FieldKind, number> = {
  values: 0,
  present: 1,
  flat: 1,
  nonnull: 2,
  texts: 2,
  literals: 2,
  strings: 2,
  numbers: 2,
  instants: 2,
  lowers: 3,
};

/** Records which fields a rule reads, from which a scan builds the shape test of each rule. */
abstract class TrackedFields implements FieldSource {
  /** Fields read since the last `startRule`. */
  touched = new Set<string | null>();

  startRule(): void {
    this.touched = new Set();
  }

  abstract present(field: string | null): string;
  abstract allNull(field: string | null): string;
  abstract nonnull(field: string | null): string;
  abstract any(field: string | null, kind: ValueKind, predicate: Lambda): string;
  abstract overlap(
    field: string | null,
    other: string | null,
    kind: 'texts' | 'lowers',
  ): { nonEmpty: string; equal: string };
}

/** Field lookups written out in full (list shape) wherever a condition refers to them. */
export class InlineFields implements FieldSource {
  readonly #operations: FieldSource;
  readonly #memo = new Map<string, string>();

  /** `record` is the SQL of the JSON record, such as `CAST(raw AS JSON)`. */
  constructor(dialect: SqlDialect, record: string) {
    const column = (field: string | null, kind: FieldKind): string => {
      const key = JSON.stringify([field, kind]);
      const known = this.#memo.get(key);
      if (known !== undefined) return known;
      const sql = fieldKindSql(dialect, record, field, kind, (other) => column(field, other));
      this.#memo.set(key, sql);
      return sql;
    };
    this.#operations = listOperations(dialect, column);
  }

  present = (field: string | null) => this.#operations.present(field);
  allNull = (field: string | null) => this.#operations.allNull(field);
  nonnull = (field: string | null) => this.#operations.nonnull(field);
  any = (field: string | null, kind: ValueKind, predicate: Lambda) =>
    this.#operations.any(field, kind, predicate);
  overlap = (field: string | null, other: string | null, kind: 'texts' | 'lowers') =>
    this.#operations.overlap(field, other, kind);
}

/** Named columns of stacked projections, each computed once per row. */
class ScanColumns {
  readonly #prefix: string;
  readonly #ids = new Map<string, number>();
  readonly #columns = new Map<string, { layer: number; sql: string; field: string | null }>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  name(field: string | null, kind: string): string {
    const key = JSON.stringify(field);
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(key, id);
    }
    return `${this.#prefix}${id}_${kind}`;
  }

  has(name: string): boolean {
    return this.#columns.has(name);
  }

  define(name: string, layer: number, sql: string, field: string | null = null): void {
    this.#columns.set(name, { layer, sql, field });
  }

  get sqlSize(): number {
    let size = 0;
    for (const column of this.#columns.values()) size += column.sql.length;
    return size;
  }

  names(): string[] {
    return [...this.#columns.keys()];
  }

  /**
   * The `expression AS name` items of one layer. With `needed`, each column is computed only
   * where the SQL it returns for the column's field is true, and is NULL elsewhere.
   */
  layer(index: number, needed?: (field: string | null) => string): string[] {
    return [...this.#columns]
      .filter(([, column]) => column.layer === index)
      .map(([name, column]) => {
        const where = needed?.(column.field) ?? 'TRUE';
        const sql = where === 'TRUE' ? column.sql : `CASE WHEN ${where} THEN ${column.sql} END`;
        return `${sql} AS ${name}`;
      });
  }
}

/** The list shape as scan columns: exact for every record. */
export class ListScanFields extends TrackedFields {
  readonly #columns = new ScanColumns('l');
  readonly #operations: FieldSource;

  /** `record` is the column holding the JSON record in the innermost layer. */
  constructor(dialect: SqlDialect, record: string) {
    super();
    const column = (field: string | null, kind: FieldKind): string => {
      this.touched.add(field);
      const name = this.#columns.name(field, kind);
      if (this.#columns.has(name)) return name;
      const sql = fieldKindSql(dialect, record, field, kind, (other) => column(field, other));
      this.#columns.define(name, LIST_LAYER[kind], sql, field);
      return name;
    };
    this.#operations = listOperations(dialect, column);
  }

  /** Characters of SQL in the columns registered so far. */
  get sqlSize(): number {
    return this.#columns.sqlSize;
  }

  /** The SQL of every column registered so far, for estimating its cost. */
  sql(): string {
    return [0, 1, 2, 3].flatMap((index) => this.#columns.layer(index)).join(', ');
  }

  /** Names of every column registered so far. */
  names(): string[] {
    return this.#columns.names();
  }

  /**
   * The `expression AS name` items of one projection layer (0 is the innermost). With
   * `needed`, the columns of each field are computed only where the SQL it returns for the
   * field is true.
   */
  layer(index: number, needed?: (field: string | null) => string): string[] {
    return this.#columns.layer(index, needed);
  }

  present = (field: string | null) => this.#operations.present(field);
  allNull = (field: string | null) => this.#operations.allNull(field);
  nonnull = (field: string | null) => this.#operations.nonnull(field);
  any = (field: string | null, kind: ValueKind, predicate: Lambda) =>
    this.#operations.any(field, kind, predicate);
  overlap = (field: string | null, other: string | null, kind: 'texts' | 'lowers') =>
    this.#operations.overlap(field, other, kind);
}

/**
 * The scalar shape as scan columns: each field is one JSON value (SQL NULL when missing), from
 * which value tests read its text, number or instant, and `simple` is true where that shape is
 * exact. Keyword searches have no scalar shape. Fields made with `kindsOnly` read the kind of
 * each value and no value, and give `simple` only.
 */
export class ScalarScanFields extends TrackedFields {
  readonly #d: SqlDialect;
  readonly #record: string;
  readonly #columns: ScanColumns;
  // Every member path is read from one list of JSON values extracted per row, so the record is
  // parsed once whatever the rules. Types and texts come from those values.
  readonly #paths = new Map<string, number>();
  readonly #valuesColumn: string;
  readonly #kindsOnly: boolean;

  /** `record` is the column holding the JSON record; `prefix` keeps column names apart. */
  constructor(dialect: SqlDialect, record: string, prefix = 's', kindsOnly = false) {
    super();
    this.#d = dialect;
    this.#record = record;
    this.#columns = new ScanColumns(prefix);
    this.#valuesColumn = `${prefix}_values`;
    this.#kindsOnly = kindsOnly;
  }

  #member = (keys: string[]): string =>
    this.#d.listElement(this.#valuesColumn, indexOf(this.#paths, keys));

  /** Characters of SQL in the columns registered so far. */
  get sqlSize(): number {
    return this.#columns.sqlSize;
  }

  /** Names of every column registered so far. */
  names(): string[] {
    return [...(this.#paths.size > 0 ? [this.#valuesColumn] : []), ...this.#columns.names()];
  }

  /** The member paths read so far, each as its keys. */
  paths(): string[][] {
    return [...this.#paths.keys()].map((key) => JSON.parse(key) as string[]);
  }

  /** The `expression AS name` items of one projection layer (0 is the innermost). */
  layer(index: number): string[] {
    if (index > 0) return this.#columns.layer(index - 1);
    if (this.#paths.size === 0) return [];
    const paths = this.paths();
    const list = this.#kindsOnly
      ? this.#d.jsonPathKinds(this.#record, paths)
      : this.#d.jsonPathMembers(this.#record, paths);
    return [`${list} AS ${this.#valuesColumn}`];
  }

  /** The column saying whether the field has the scalar shape in the row. */
  simple(field: string): string {
    const name = this.#columns.name(field, 'simple');
    if (!this.#columns.has(name)) {
      this.touched.add(field);
      const isArray = (keys: string[]) =>
        this.#kindsOnly
          ? this.#d.kindIsArray(this.#member(keys))
          : this.#d.jsonIs(this.#member(keys), 'array');
      const present = (keys: string[]) => `${this.#member(keys)} IS NOT NULL`;
      // A path's first array element is extracted, not its value, because DuckDB would write
      // out the whole object usually found there. An object with the key "0" also passes, so
      // its records go to the list shape.
      const hasElements = (keys: string[]) => present([...keys, '0']);
      this.#columns.define(name, 0, simpleSql(field, isArray, present, hasElements));
    }
    return name;
  }

  /**
   * SQL true where a field is missing, is JSON null, or is a string equal to the text in
   * `column`: where a test of the column's case-folded text against literals keeps every event
   * that the field's test would keep. A dotted field must also have the scalar shape, because
   * its value is NULL where an array on its path fans out.
   */
  copiedTo(field: string, column: string): string {
    const d = this.#d;
    const value = this.#value(field);
    // A NULL copy of a string makes the comparison NULL, which must count as a difference.
    const copied =
      `coalesce(${value} IS NULL OR ${d.jsonIs(value, 'null')} ` +
      `OR (${d.jsonIs(value, 'string')} AND ${d.stringValue(value)} = ${column}), FALSE)`;
    return field.includes('.') ? `(${this.simple(field)} AND ${copied})` : copied;
  }

  /** The column with the field's JSON value, NULL when missing. */
  #value(field: string | null): string {
    if (field === null) throw new Error('keyword searches have no scalar shape');
    if (this.#kindsOnly) throw new Error('fields made with kindsOnly read no values');
    this.touched.add(field);
    const name = this.#columns.name(field, 'value');
    if (!this.#columns.has(name)) {
      this.#columns.define(name, 0, scalarValueSql(field, this.#member, this.#member));
    }
    return name;
  }

  #kind(field: string | null, kind: ValueKind): string {
    const value = this.#value(field);
    const name = this.#columns.name(field, kind);
    if (this.#columns.has(name)) return name;
    if (kind === 'flat') throw new Error('the scalar shape has no JSON values');
    if (kind === 'lowers') {
      this.#columns.define(name, 2, this.#d.lowerText(this.#kind(field, 'texts')));
    } else {
      const string = this.#d.stringValue(value);
      this.#columns.define(name, 1, scalarKindSql(this.#d, kind, value, string));
    }
    return name;
  }

  present(field: string | null): string {
    if (field === null) return 'TRUE';
    return `(${this.#value(field)} IS NOT NULL)`;
  }

  allNull(field: string | null): string {
    const value = this.#value(field);
    return `(${value} IS NULL OR ${this.#d.jsonIs(value, 'null')})`;
  }

  nonnull(field: string | null): string {
    const value = this.#value(field);
    return `(${value} IS NOT NULL AND NOT ${this.#d.jsonIs(value, 'null')})`;
  }

  any(field: string | null, kind: ValueKind, predicate: Lambda): string {
    return `coalesce(${predicate(this.#kind(field, kind))}, FALSE)`;
  }

  overlap(field: string | null, other: string | null, kind: 'texts' | 'lowers') {
    const mine = this.#kind(field, kind);
    const theirs = this.#kind(other, kind);
    return {
      nonEmpty: `${mine} IS NOT NULL AND ${theirs} IS NOT NULL`,
      equal: `${mine} = ${theirs}`,
    };
  }
}

function indexOf(map: Map<string, number>, keys: string[]): number {
  const key = JSON.stringify(keys);
  let index = map.get(key);
  if (index === undefined) {
    index = map.size;
    map.set(key, index);
  }
  return index;
}
