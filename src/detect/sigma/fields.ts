/**
 * Field lookup in raw log records. A dotted Sigma field name is tried first as a literal key
 * (some logs have keys with dots), then as a path into nested objects. Arrays on the way fan
 * out, so `a.b` finds `b` in every element of an array `a`.
 */

/** The values a field has in one record, or `present: false` when the record lacks it. */
export interface FieldValues {
  present: boolean;
  values: unknown[];
}

const MISSING: FieldValues = { present: false, values: [] };

/** A compiled lookup of one field name. */
export type FieldAccessor = (record: Record<string, unknown>) => FieldValues;

/** Compiles the lookup of a field name, splitting its path once. */
export function compileAccessor(field: string): FieldAccessor {
  const path = field.split('.');
  if (path.length === 1) {
    return (record) =>
      Object.hasOwn(record, field) ? { present: true, values: [record[field]] } : MISSING;
  }

  return (record) => {
    if (Object.hasOwn(record, field)) return { present: true, values: [record[field]] };
    const values: unknown[] = [];
    const present = walk(record, path, 0, values);
    return present ? { present, values } : MISSING;
  };
}

/**
 * Appends the values of a field to `out`, as the accessor of `compileAccessor(field)` finds
 * them; `path` is `field` split at dots. Returns whether the record has the field.
 */
export function collectField(
  record: Record<string, unknown>,
  field: string,
  path: string[],
  out: unknown[],
): boolean {
  if (Object.hasOwn(record, field)) {
    out.push(record[field]);
    return true;
  }
  return path.length > 1 && walk(record, path, 0, out);
}

function walk(node: unknown, path: string[], depth: number, out: unknown[]): boolean {
  if (depth === path.length) {
    out.push(node);
    return true;
  }
  if (Array.isArray(node)) {
    let found = false;
    for (const element of node) found = walk(element, path, depth, out) || found;
    return found;
  }
  if (typeof node !== 'object' || node === null) return false;

  const record = node as Record<string, unknown>;
  const key = path[depth]!;
  if (!Object.hasOwn(record, key)) return false;
  return walk(record[key], path, depth + 1, out);
}

/**
 * Maximum steps from the record to a value that keyword searches read. Each object key and each
 * array index is one step, and each `.` or `[` inside a key is one step more, because DuckDB's
 * `json_tree` writes paths with keys unquoted (`$.a.b[0]`) and the SQL backend counts those
 * characters. Both backends cut at the same values, and recursion into attacker-shaped records
 * stays bounded.
 */
export const MAX_KEYWORD_STEPS = 32;

/** Collects every scalar value (string, number, boolean) in a record, for keyword searches. */
export function scalarLeaves(node: unknown, out: unknown[] = [], steps = 0): unknown[] {
  if (steps > MAX_KEYWORD_STEPS) return out;
  if (Array.isArray(node)) {
    for (const element of node) scalarLeaves(element, out, steps + 1);
  } else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      scalarLeaves(value, out, steps + 1 + pathMarkers(key));
    }
  } else if (node !== null && node !== undefined) {
    out.push(node);
  }
  return out;
}

// Counts the characters of a key that DuckDB's path text shares with its separators.
function pathMarkers(key: string): number {
  if (!key.includes('.') && !key.includes('[')) return 0;
  let count = 0;
  for (const char of key) if (char === '.' || char === '[') count++;
  return count;
}

/**
 * Returns the text a string matcher compares: strings as they are, numbers and booleans as
 * written, and objects as JSON text, as cloud rules match `requestParameters`. Returns `null`
 * for null or missing values.
 */
export function valueText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return null;
}

/** Array elements stand for themselves: a matcher against an array matches any element. */
export function flattenValues(values: unknown[]): unknown[] {
  if (!values.some(Array.isArray)) return values;
  return values.flatMap((value) => (Array.isArray(value) ? flattenValues(value) : [value]));
}
