/**
 * A per-record cache of field lookups that every rule evaluated on the record shares. Rules of
 * one source name the same few fields (`eventName`, `eventSource`, `userIdentity.arn`), so each
 * field is looked up, flattened, turned into text and lower-cased once per record instead of
 * once per rule and value.
 */
import {
  collectField,
  type FieldValues,
  flattenValues,
  scalarLeaves,
  valueText,
} from './fields.ts';

// The values of a missing field. No caller changes the values it is handed.
const NO_VALUES: unknown[] = [];
const MISSING = Symbol('missing');
const FAN_OUT = Symbol('fan-out');

/**
 * Returns the one value of a field whose path meets no array, as `collectField` would find it,
 * `MISSING` when the record lacks the field, or `FAN_OUT` when an array on the path may give it
 * several values.
 */
function singleValue(
  record: Record<string, unknown>,
  field: string,
  path: string[],
): unknown | typeof MISSING | typeof FAN_OUT {
  if (Object.hasOwn(record, field)) return record[field];
  if (path.length === 1) return MISSING;

  let node: unknown = record;
  for (const key of path) {
    if (Array.isArray(node)) return FAN_OUT;
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return MISSING;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Field names numbered into slots, so a view finds a field's cache entry by index. */
export class FieldTable {
  readonly #slots = new Map<string | null, number>();
  readonly #fields: (string | null)[] = [];

  /** Returns the slot of a raw field name; `null` stands for every scalar (keyword searches). */
  slot(field: string | null): number {
    let slot = this.#slots.get(field);
    if (slot === undefined) {
      slot = this.#fields.length;
      this.#slots.set(field, slot);
      this.#fields.push(field);
    }
    return slot;
  }

  /** Returns the field name of a slot. */
  field(slot: number): string | null {
    return this.#fields[slot] ?? null;
  }

  get size(): number {
    return this.#fields.length;
  }
}

/** The cached values of one field in the current record. */
export class FieldEntry implements FieldValues {
  present = false;
  /** The values as a field lookup returns them: arrays stay nested. */
  values: unknown[] = [];
  /** Stamp of the record these values belong to. */
  stamp = -1;
  readonly #path: string[] | null;
  readonly field: string | null;
  #flat: unknown[] | null = null;
  #texts: (string | null)[] | null = null;
  #lower: (string | null)[] | null = null;
  readonly #one: unknown[] = [undefined];
  readonly #oneText: (string | null)[] = [null];
  readonly #oneLower: (string | null)[] = [null];

  constructor(field: string | null) {
    this.field = field;
    this.#path = field === null ? null : field.split('.');
  }

  /** Looks the field up in a record, replacing the values of the previous record. */
  load(record: Record<string, unknown>, stamp: number): void {
    this.stamp = stamp;
    this.#flat = null;
    this.#texts = null;
    this.#lower = null;
    if (this.field === null || this.#path === null) {
      const values: unknown[] = [];
      scalarLeaves(record, values);
      this.values = values;
      this.present = true;
      return;
    }

    // Most fields contain one value and meet no array on their path. Their values go into a
    // reused one-element array, because allocating and truncating arrays per record costs more
    // than the lookup.
    const single = singleValue(record, this.field, this.#path);
    if (single === MISSING) {
      this.values = NO_VALUES;
      this.present = false;
    } else if (single === FAN_OUT) {
      const values: unknown[] = [];
      this.present = collectField(record, this.field, this.#path, values);
      this.values = values;
    } else {
      this.#one[0] = single;
      this.values = this.#one;
      this.present = true;
    }
  }

  /** Returns the values with arrays flattened, because array elements match on their own. */
  flat(): unknown[] {
    if (this.#flat === null) this.#flat = flattenValues(this.values);
    return this.#flat;
  }

  /** Returns `valueText` of each flattened value, at the same positions. */
  texts(): (string | null)[] {
    if (this.#texts !== null) return this.#texts;
    const flat = this.flat();
    let texts: (string | null)[];
    if (flat.length === 1) {
      texts = this.#oneText;
      texts[0] = valueText(flat[0]);
    } else {
      texts = [];
      for (const value of flat) texts.push(valueText(value));
    }
    this.#texts = texts;
    return texts;
  }

  /** Returns `texts()` lower-cased, as case-insensitive matchers compare them. */
  lower(): (string | null)[] {
    if (this.#lower !== null) return this.#lower;
    const texts = this.texts();
    let lower: (string | null)[];
    if (texts.length === 1) {
      lower = this.#oneLower;
      lower[0] = texts[0]?.toLowerCase() ?? null;
    } else {
      lower = [];
      for (const text of texts) lower.push(text === null ? null : text.toLowerCase());
    }
    this.#lower = lower;
    return lower;
  }
}

/**
 * One record seen through a field table. `reset` moves the view to the next record, which
 * drops every cached value, so a view serves one record at a time and must not be shared by
 * evaluations that interleave.
 */
export class RecordView {
  record: Record<string, unknown> = {};
  readonly #table: FieldTable;
  readonly #entries: FieldEntry[] = [];
  #stamp = 0;

  constructor(table: FieldTable) {
    this.#table = table;
  }

  /** Points the view at a record and returns the view. */
  reset(record: Record<string, unknown>): this {
    this.record = record;
    this.#stamp++;
    return this;
  }

  /** Returns the values of a slot's field, looked up on first use for the current record. */
  entry(slot: number): FieldEntry {
    let entry = this.#entries[slot];
    if (entry === undefined) entry = this.#grow(slot);
    if (entry.stamp !== this.#stamp) entry.load(this.record, this.#stamp);
    return entry;
  }

  #grow(slot: number): FieldEntry {
    for (let i = this.#entries.length; i <= slot; i++) {
      this.#entries.push(new FieldEntry(this.#table.field(i)));
    }
    return this.#entries[slot]!;
  }
}
