/**
 * Field access for records that exports spell in more than one way. Azure and Microsoft 365 logs
 * name one field `operationName`, `OperationName` or `operation_name`, by the export they come from.
 */
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { parseJsonLossless } from './json-numbers.ts';

// Records with more keys than this are searched by exact name only, to bound the work per field.
const MAX_KEYS_SCANNED = 256;

const fold = (name: string): string => name.replace(/_/g, '').toLowerCase();

// Folded forms of the field names asked for; they are names written in the code, so few.
const foldedNames = new Map<string, string>();
// Each record's keys by folded form, built on the first lookup that misses an exact name, so a
// record is folded once however many of its fields are read. Parsed records are not changed.
const foldedKeys = new WeakMap<JsonObject, Map<string, string> | null>();

function foldedName(name: string): string {
  let folded = foldedNames.get(name);
  if (folded === undefined) {
    folded = fold(name);
    foldedNames.set(name, folded);
  }
  return folded;
}

// Null for a record with more than MAX_KEYS_SCANNED keys, which is read by exact names only.
function keysOf(record: JsonObject): Map<string, string> | null {
  const cached = foldedKeys.get(record);
  if (cached !== undefined) return cached;

  const names = Object.keys(record);
  if (names.length > MAX_KEYS_SCANNED) {
    foldedKeys.set(record, null);
    return null;
  }
  const keys = new Map<string, string>();
  for (const key of names) {
    const folded = fold(key);
    if (!keys.has(folded) && record[key] !== null) keys.set(folded, key);
  }
  foldedKeys.set(record, keys);
  return keys;
}

/**
 * Returns the value of the first of `names` that the record has with a value other than null.
 * Names are compared exactly first, then ignoring case and underscores.
 */
export function field(record: JsonObject, ...names: string[]): unknown {
  for (const name of names) {
    if (record[name] !== undefined && record[name] !== null) return record[name];
  }
  const keys = keysOf(record);
  if (keys === null) return undefined;
  for (const name of names) {
    const key = keys.get(foldedName(name));
    if (key !== undefined) return record[key];
  }
  return undefined;
}

/** Returns a string field, reading `{ value }` wrappers (Azure's localizable strings) too. */
export function stringField(record: JsonObject, ...names: string[]): string | null {
  const found = field(record, ...names);
  if (typeof found === 'string') return found === '' ? null : found;
  if (typeof found === 'number') return String(found);
  if (isObject(found) && typeof found.value === 'string') return found.value;
  return null;
}

/** Returns an object field, parsed when an export stored it as JSON text (Log Analytics does). */
export function objectField(record: JsonObject, ...names: string[]): JsonObject | null {
  const found = field(record, ...names);
  if (isObject(found)) return found;
  const parsed = parseJsonText(found);
  return isObject(parsed) ? parsed : null;
}

/** Returns an array field, parsed when an export stored it as JSON text. */
export function arrayField(record: JsonObject, ...names: string[]): unknown[] {
  const found = field(record, ...names);
  if (Array.isArray(found)) return found;
  const parsed = parseJsonText(found);
  return Array.isArray(parsed) ? parsed : [];
}

// JSON text inside a record is bounded by the record's own size limit; parsing it again is safe.
function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return parseJsonLossless(trimmed);
  } catch {
    return undefined;
  }
}

/** Strips the port or brackets some logs add to an address (`1.2.3.4:5678`, `[::1]:443`). */
export function bareAddress(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value);
  return v4WithPort?.[1] ?? value;
}
