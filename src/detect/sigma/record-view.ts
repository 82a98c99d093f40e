/**
 * A per-record cache of field lookups that every rule evaluated on the record shares. Rules of
 * one source name the same few fields (`eventName`, `eventSource`, `userIdentity.arn`), so each
 * field is looked up, flattened, turned into text and lower-cased once per record instead of
 * once per rule and value. Matching a record allocates only the arrays of the fields that its
 * candidate rules read.
 */
import {
  collectField,
  type FieldValues,
  flattenValues,
  scalarLeaves,
  valueText,
} from './fields.ts';

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

  /** The field name of a slot. */
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
    // A fresh array is cheaper than truncating the previous one, which V8 does in its runtime.
    const values: unknown[] = [];
    this.values = values;
    if (this.field === null || this.#path === null) {
      scalarLeaves(record, values);
      this.present = true;
      return;
    }
    this.present = collectField(record, this.field, this.#path, values);
  }

  /** The values with arrays flattened: array elements stand for themselves. */
  flat(): unknown[] {
    if (this.#flat === null) this.#flat = flattenValues(this.values);
    return this.#flat;
  }

  /** `valueText` of each flattened value, at the same positions. */
  texts(): (string | null)[] {
    if (this.#texts !== null) return this.#texts;
    const flat = this.flat();
    const texts: (string | null)[] = [];
    for (const value of flat) texts.push(valueText(value));
    this.#texts = texts;
    return texts;
  }

  /** `texts()` lower-cased, as case-insensitive matchers compare them. */
  lower(): (string | null)[] {
    if (this.#lower !== null) return this.#lower;
    const texts = this.texts();
    const lower: (string | null)[] = [];
    for (const text of texts) lower.push(text === null ? null : text.toLowerCase());
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

  /** The values of the field in a slot, looked up on first use for the current record. */
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
