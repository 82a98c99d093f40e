/**
 * The stored digest of each evidence item (see `storedDigests`), computed from the rows while an
 * ingest appends them, so the digests need not read every stored event back afterwards. An item
 * gets a digest this way only when one run reads it whole from one stream and DuckDB's text form
 * of each of its values is known here. The caller reads the database for every other item.
 */
import { createHash, type Hash, hash } from 'node:crypto';
import { EVENT_COLUMNS, type EventRowValues } from './event-row.ts';
import { DIGEST_COLUMNS } from './stored-digests.ts';

/** Events and digest of one evidence item, as `storedDigests` computes them. */
export interface ItemDigest {
  events: number;
  digest: string;
}

/** Converts one row value to the text DuckDB casts it to; null when that text is not known. */
type ValueText = (value: unknown) => string | null;

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const SURROGATE_PAIR = /[\ud800-\udbff][\udc00-\udfff]/g;

// DuckDB's length() counts code points. DuckDB stores a lone surrogate as U+FFFD, so a string
// with one gets no digest here.
function codePoints(text: string): number | null {
  if (!SURROGATE.test(text)) return text.length;
  if (LONE_SURROGATE.test(text)) return null;

  return text.length - (text.match(SURROGATE_PAIR)?.length ?? 0);
}

const text: ValueText = (value) => (typeof value === 'string' ? value : null);

const integer =
  (max: number): ValueText =>
  (value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) <= max
      ? String(value)
      : null;

// DuckDB 1.5 writes a whole DOUBLE below 10^15 with `.0`, and 10^16 in exponent form.
const double: ValueText = (value) =>
  typeof value === 'number' &&
  Number.isInteger(value) &&
  Math.abs(value) < 1e15 &&
  !Object.is(value, -0)
    ? `${value}.0`
    : null;

const boolean: ValueText = (value) => (typeof value === 'boolean' ? String(value) : null);

// A TIMESTAMP in DuckDB's text form, `YYYY-MM-DD HH:MM:SS` with the fraction of a second
// without trailing zeros, from the epoch milliseconds of the row. Years outside 1 to 9999 are
// left to DuckDB.
const timestamp: ValueText = (value) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return null;
  const iso = new Date(value).toISOString();
  if (iso.length !== 24 || iso.startsWith('0000')) return null;

  const fraction = iso.slice(19, 23).replace(/\.?0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}`;
};

// `to_json` of a VARCHAR[]: the same as JSON.stringify for tags of printable ASCII without
// quotes or backslashes, which JSON writers may escape differently.
const PLAIN_TAG = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;
const tagList: ValueText = (value) =>
  Array.isArray(value) && value.every((tag) => typeof tag === 'string' && PLAIN_TAG.test(tag))
    ? JSON.stringify(value)
    : null;

const TEXT_OF_TYPE: Record<string, ValueText> = {
  VARCHAR: text,
  JSON: text,
  INTEGER: integer(2 ** 31 - 1),
  BIGINT: integer(Number.MAX_SAFE_INTEGER),
  DOUBLE: double,
  BOOLEAN: boolean,
  TIMESTAMP: timestamp,
  'VARCHAR[]': tagList,
};

const columnIndex = (name: string) => EVENT_COLUMNS.findIndex((column) => column.name === name);

// For each digest column, its index in the row and how its value becomes text.
const DIGEST_FIELDS = DIGEST_COLUMNS.map((name) => {
  const index = columnIndex(name);
  const type = EVENT_COLUMNS[index]?.sql.replace(' NOT NULL', '') ?? '';
  const toText = TEXT_OF_TYPE[type];
  if (toText === undefined) throw new Error(`no text form for digest column ${name} (${type})`);
  return { index, toText };
});

/**
 * Returns the SHA-256 (hex) that `storedDigests` computes for the row `values`, or null when a
 * value's text form in DuckDB is not known here.
 */
export function rowDigest(values: EventRowValues): string | null {
  let row = '';
  // A long value goes to the hash by itself instead of into a copy of the row.
  let digest: Hash | null = null;
  for (const { index, toText } of DIGEST_FIELDS) {
    const value = values[index];
    if (value === null || value === undefined) {
      row += 'N';
      continue;
    }
    const valueText = toText(value);
    if (valueText === null) return null;
    const length = codePoints(valueText);
    if (length === null) return null;
    row += `S${length}:`;
    if (valueText.length < LONG_VALUE_UNITS) {
      row += valueText;
      continue;
    }
    digest ??= createHash('sha256');
    digest.update(row).update(valueText);
    row = '';
  }

  return digest === null ? hash('sha256', row, 'hex') : digest.update(row).digest('hex');
}

/** Code units from which `rowDigest` hashes a value apart from the rest of its row. */
const LONG_VALUE_UNITS = 1024 * 1024;

const SHA256 = columnIndex('evidence_sha256');
const MEMBER = columnIndex('evidence_member');
const RECORD = columnIndex('evidence_record');

interface ItemState {
  member: string | null;
  hash: Hash;
  events: number;
  lastRecord: number;
}

/**
 * Digests of the evidence items of one ingest, folded while the rows are appended. Call
 * `beginStream` before a stream's rows, `addRow` for each row stored in record order, and
 * `readStored` for an item with rows that this ingest did not append or has removed.
 */
export class IngestDigests {
  readonly #items = new Map<string, ItemState>();
  // Items whose digest only the database can give.
  readonly #stored = new Set<string>();

  /** Starts a stream of an item; a second stream of the item leaves it to the database. */
  beginStream(sha256: string, member: string | null): void {
    if (this.#stored.has(sha256)) return;
    if (this.#items.has(sha256)) this.readStored(sha256);
    else this.#items.set(sha256, { member, hash: createHash('sha256'), events: 0, lastRecord: -1 });
  }

  /** Adds one row, given before the appender converts it. */
  addRow(values: EventRowValues): void {
    const sha256 = String(values[SHA256]);
    if (this.#stored.has(sha256)) return;

    const item = this.#items.get(sha256);
    const member = values[MEMBER] ?? null;
    const record = values[RECORD];
    const digest = rowDigest(values);
    if (
      item === undefined ||
      member !== item.member ||
      typeof record !== 'number' ||
      record <= item.lastRecord ||
      digest === null
    ) {
      this.readStored(sha256);
      return;
    }
    item.hash.update(`${member ?? ''}\t${record}\t${digest}\n`);
    item.events += 1;
    item.lastRecord = record;
  }

  /** Leaves the item's digest to the database. */
  readStored(sha256: string): void {
    this.#stored.add(sha256);
    this.#items.delete(sha256);
  }

  /** Returns the digest of every item this ingest computed; call it once, after the last row. */
  digests(): Map<string, ItemDigest> {
    const digests = new Map<string, ItemDigest>();
    for (const [sha256, item] of this.#items) {
      digests.set(sha256, { events: item.events, digest: item.hash.digest('hex') });
    }

    return digests;
  }
}
