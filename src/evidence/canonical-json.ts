/**
 * Serializes a JSON value with object keys sorted by UTF-16 code units and no whitespace, so
 * equal values always give equal text and equal hashes. Numbers and strings are written as
 * `JSON.stringify` writes them, which is also what RFC 8785 prescribes for finite numbers.
 * Properties whose value is `undefined` are left out, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';

  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return canonicalJson(withToJson.toJSON());

  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;

  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  const members = keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);

  return `{${members.join(',')}}`;
}
