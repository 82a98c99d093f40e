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
  scalarValueSql,
  simpleSql,
  typedKindSql,
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
  readonly #columns = new Map<string, { layer: number; sql: string }>();

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

  define(name: string, layer: number, sql: string): void {
    this.#columns.set(name, { layer, sql });
  }

  get sqlSize(): number {
    let size = 0;
    for (const column of this.#columns.values()) size += column.sql.length;
    return size;
  }

  names(): string[] {
    return [...this.#columns.keys()];
  }

  layer(index: number): string[] {
    return [...this.#columns]
      .filter(([, column]) => column.layer === index)
      .map(([name, column]) => `${column.sql} AS ${name}`);
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
      this.#columns.define(name, LIST_LAYER[kind], sql);
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

  /** The `expression AS name` items of one projection layer (0 is the innermost). */
  layer(index: number): string[] {
    return this.#columns.layer(index);
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
 * The scalar shape as scan columns: each field is one JSON type name (SQL NULL when missing)
 * and one text (a string's value, or the JSON text of other values), and `simple` says where
 * that shape is exact. Keyword searches have no scalar shape.
 */
export class ScalarScanFields extends TrackedFields {
  readonly #d: SqlDialect;
  readonly #record: string;
  readonly #columns: ScanColumns;
  // Every member path is read from two lists extracted per row (types of every path, texts of
  // the paths whose values are tested), so the record is parsed twice whatever the rules.
  readonly #typePaths = new Map<string, number>();
  readonly #textPaths = new Map<string, number>();
  readonly #typesColumn: string;
  readonly #textsColumn: string;

  /** `record` is the column holding the JSON record; `prefix` keeps column names apart. */
  constructor(dialect: SqlDialect, record: string, prefix = 's') {
    super();
    this.#d = dialect;
    this.#record = record;
    this.#columns = new ScanColumns(prefix);
    this.#typesColumn = `${prefix}_types`;
    this.#textsColumn = `${prefix}_texts`;
  }

  #typeMember = (keys: string[]): string =>
    this.#d.listElement(this.#typesColumn, indexOf(this.#typePaths, keys));

  #textMember = (keys: string[]): string =>
    this.#d.listElement(this.#textsColumn, indexOf(this.#textPaths, keys));

  /** Characters of SQL in the columns registered so far. */
  get sqlSize(): number {
    return this.#columns.sqlSize;
  }

  /** Names of every column registered so far. */
  names(): string[] {
    const lists = [
      ...(this.#typePaths.size > 0 ? [this.#typesColumn] : []),
      ...(this.#textPaths.size > 0 ? [this.#textsColumn] : []),
    ];
    return [...lists, ...this.#columns.names()];
  }

  /** The `expression AS name` items of one projection layer (0 is the innermost). */
  layer(index: number): string[] {
    if (index > 0) return this.#columns.layer(index - 1);
    const paths = (map: Map<string, number>) =>
      [...map.keys()].map((key) => JSON.parse(key) as string[]);
    const items: string[] = [];
    if (this.#typePaths.size > 0) {
      const types = this.#d.jsonPathTypes(this.#record, paths(this.#typePaths));
      items.push(`${types} AS ${this.#typesColumn}`);
    }
    if (this.#textPaths.size > 0) {
      const texts = this.#d.stringPathMembers(this.#record, paths(this.#textPaths));
      items.push(`${texts} AS ${this.#textsColumn}`);
    }
    return items;
  }

  /** The column saying whether the field has the scalar shape in the row. */
  simple(field: string): string {
    const name = this.#columns.name(field, 'simple');
    if (!this.#columns.has(name)) {
      this.touched.add(field);
      const isArray = (keys: string[]) => this.#d.typeIsArray(this.#typeMember(keys));
      const present = (keys: string[]) => `${this.#typeMember(keys)} IS NOT NULL`;
      this.#columns.define(name, 1, simpleSql(field, isArray, present));
    }
    return name;
  }

  /**
   * SQL true where a top-level field is missing, is JSON null, or is a string equal to the
   * text in `column`: where a test of the column's case-folded text against literals keeps
   * every event that the field's test would keep.
   */
  copiedTo(field: string, column: string): string {
    const d = this.#d;
    const type = this.#type(field);
    return (
      `(${type} IS NULL OR ${d.typeIs(type, 'null')} ` +
      `OR (${d.typeIs(type, 'string')} AND ${this.#text(field)} = ${column}))`
    );
  }

  /** The column with the JSON type name of the field's value, NULL when missing. */
  #type(field: string | null): string {
    if (field === null) throw new Error('keyword searches have no scalar shape');
    this.touched.add(field);
    const name = this.#columns.name(field, 'type');
    if (!this.#columns.has(name)) {
      this.#columns.define(name, 0, scalarValueSql(field, this.#typeMember, this.#typeMember));
    }
    return name;
  }

  #text(field: string): string {
    const name = this.#columns.name(field, 'text');
    if (!this.#columns.has(name)) {
      this.#columns.define(name, 0, scalarValueSql(field, this.#typeMember, this.#textMember));
    }
    return name;
  }

  #kind(field: string | null, kind: ValueKind): string {
    const type = this.#type(field);
    const name = this.#columns.name(field, kind);
    if (this.#columns.has(name)) return name;
    if (kind === 'lowers') {
      this.#columns.define(name, 2, this.#d.lowerText(this.#kind(field, 'texts')));
    } else {
      const text = this.#text(field as string);
      this.#columns.define(name, 1, typedKindSql(this.#d, kind, type, text));
    }
    return name;
  }

  present(field: string | null): string {
    if (field === null) return 'TRUE';
    return `(${this.#type(field)} IS NOT NULL)`;
  }

  allNull(field: string | null): string {
    const type = this.#type(field);
    return `(${type} IS NULL OR ${this.#d.typeIs(type, 'null')})`;
  }

  nonnull(field: string | null): string {
    const type = this.#type(field);
    return `(${type} IS NOT NULL AND NOT ${this.#d.typeIs(type, 'null')})`;
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
