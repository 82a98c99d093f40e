/**
 * Cases where the JSON text of a stored record differs from what `JSON.stringify` would write,
 * or where DuckDB and JavaScript disagree on text, numbers or dates unless the SQL backend
 * corrects for it. The in-memory result on the record as ingest parses it (`parseJsonLossless`)
 * is the expected one.
 */

/** One case: a rule's detection section and the stored JSON text of a record. */
export interface RawTextCase {
  name: string;
  detection: string;
  raw: string;
}

const sel = (body: string) => `selection:\n${body}\ncondition: selection`;

export const RAW_TEXT_CASES: RawTextCase[] = [
  { name: 'fraction zero', detection: sel('  a: 1'), raw: '{"a":1.0}' },
  { name: 'upper exponent', detection: sel("  a: '1000'"), raw: '{"a":1E3}' },
  { name: 'large exponent', detection: sel("  a: '1e+21'"), raw: '{"a":1e21}' },
  { name: 'small number', detection: sel("  a: '0.000001'"), raw: '{"a":1e-6}' },
  { name: 'tiny number', detection: sel("  a: '1e-7'"), raw: '{"a":0.0000001}' },
  {
    name: 'integer beyond 2^53',
    detection: sel("  a: '12345678901234567890'"),
    raw: '{"a":12345678901234567890}',
  },
  {
    name: 'integer beyond 2^64',
    detection: sel("  a: '123456789012345678901234'"),
    raw: '{"a":123456789012345678901234}',
  },
  {
    name: 'safe integer',
    detection: sel("  a: '9007199254740991'"),
    raw: '{"a":9007199254740991}',
  },
  { name: 'number beyond double', detection: sel("  a: '-1e400'"), raw: '{"a":-1e400}' },
  { name: 'number beyond double compared', detection: sel('  a|gt: 10'), raw: '{"a":1e400}' },
  { name: 'text beyond double compared', detection: sel('  a|gt: 10'), raw: '{"a":"1e400"}' },
  {
    name: 'large integer compared',
    detection: sel('  a|gt: 10'),
    raw: '{"a":12345678901234567890}',
  },
  {
    name: 'object with large integer',
    detection: sel('  a|contains: \'[1,"12345678901234567890","1e400"]\''),
    raw: '{"a":{"x":[1.0,12345678901234567890,1e400]}}',
  },
  { name: 'negative zero', detection: sel("  a: '0'"), raw: '{"a":-0.0}' },
  {
    name: 'object with numbers',
    detection: sel("  a|contains: '[1,2.5,1e+21,100]'"),
    raw: '{"a":{"x":[1.0,2.50,1E21,1e2]}}',
  },
  {
    name: 'object number in string',
    detection: sel('  a|contains: \'"1.0e5"\''),
    raw: '{"a":{"x":"1.0e5","y":1.5}}',
  },
  {
    name: 'object control escape',
    detection: sel("  a|contains: 'u001f'"),
    raw: '{"a":{"x":"\\u001F"}}',
  },
  {
    name: 'object escaped backslash',
    detection: sel("  a|contains: '\\\\u001F'"),
    raw: '{"a":{"x":"\\\\u001F"}}',
  },
  {
    name: 'object unicode escape',
    detection: sel("  a|contains: 'é'"),
    raw: '{"a":{"x":"\\u00e9"}}',
  },
  {
    name: 'object slash escape',
    detection: sel('  a|contains: \'"/"\''),
    raw: '{"a":{"x":"\\/"}}',
  },
  {
    name: 'object with spaces',
    detection: sel('  a|contains: \'{"x":1}\''),
    raw: '{"a": { "x" : 1 } }',
  },
  { name: 'string escaped quote', detection: sel("  a: 'x\"y'"), raw: '{"a":"x\\"y"}' },
  { name: 'string escaped slash', detection: sel("  a: 'a/b'"), raw: '{"a":"a\\/b"}' },
  { name: 'string tab escape', detection: sel('  a|contains: "\\t"'), raw: '{"a":"1\\t2"}' },
  { name: 'string nul escape', detection: sel('  a|startswith: "x\\0"'), raw: '{"a":"x\\u0000y"}' },
  {
    name: 'string control escape',
    detection: sel('  a|endswith: "\\x1F"'),
    raw: '{"a":"x\\u001f"}',
  },
  {
    name: 'string surrogate pair',
    detection: sel("  a: '\u{1F600}'"),
    raw: '{"a":"\\ud83d\\ude00"}',
  },
  {
    name: 'string escaped backslash before u',
    detection: sel("  a|re: '^\\\\u0041$'"),
    raw: '{"a":"\\\\u0041"}',
  },
  { name: 'empty array on path', detection: sel('  a.b: null'), raw: '{"a":[]}' },
  { name: 'key zero on path', detection: sel('  a.b: x'), raw: '{"a":{"0":{"b":"y"},"b":"x"}}' },
  { name: 'key with slash', detection: sel('  a/b: x'), raw: '{"a/b":"x"}' },
  { name: 'key with tilde', detection: sel('  c~d.e: y'), raw: '{"c~d":{"e":"y"}}' },
  { name: 'dotted key with array', detection: sel('  a.b: x'), raw: '{"a.b":["y","x"]}' },
  {
    name: 'nested arrays on path',
    detection: sel('  items.name: b'),
    raw: '{"items":[[{"name":"a"}],[{"name":"b"}]]}',
  },
  {
    name: 'array of objects as text',
    detection: sel('  a|contains: \'"k":1\''),
    raw: '{"a":[{"k":1}]}',
  },
  { name: 'neq on array', detection: sel('  a|neq: x'), raw: '{"a":["x","y"]}' },
  { name: 'null inside array', detection: sel('  a: null'), raw: '{"a":[null]}' },
  { name: 'empty array is not null', detection: sel('  a: null'), raw: '{"a":[]}' },
  { name: 'dotted capital I', detection: sel("  a: 'i̇stanbul'"), raw: '{"a":"İSTANBUL"}' },
  { name: 'hex text is no number', detection: sel('  n|gt: 10'), raw: '{"n":"0x10"}' },
  { name: 'upper hex text is no number', detection: sel('  n|lte: 255'), raw: '{"n":"0XFF"}' },
  { name: 'binary text is no number', detection: sel('  n|gt: 4'), raw: '{"n":"0b101"}' },
  { name: 'padded text compares', detection: sel('  n|gt: 10'), raw: '{"n":" 12 "}' },
  { name: 'underscore text is no number', detection: sel('  n|gt: 10'), raw: '{"n":"1_000"}' },
  { name: 'boolean is no number', detection: sel('  n|lt: 10'), raw: '{"n":true}' },
  {
    name: 'cidr with zone',
    detection: sel("  ip|cidr: '10.0.0.0/8'"),
    raw: '{"ip":"10.1.2.3%eth0"}',
  },
  {
    name: 'cidr leading zero',
    detection: sel("  ip|cidr: '10.0.0.0/8'"),
    raw: '{"ip":"010.1.2.3"}',
  },
  { name: 'cidr padded', detection: sel("  ip|cidr: '10.0.0.0/8'"), raw: '{"ip":" 10.1.2.3\\n"}' },
  { name: 'cidr on number', detection: sel("  ip|cidr: '10.0.0.0/8'"), raw: '{"ip":167837953}' },
  { name: 'hour of epoch', detection: sel('  t|hour: 10'), raw: '{"t":1714557600000}' },
  {
    name: 'hour with offset',
    detection: sel('  t|hour: 8'),
    raw: '{"t":"2024-05-01T10:00:00+02:00"}',
  },
  { name: 'regex on number', detection: sel("  a|re: '^1e\\+21$'"), raw: '{"a":1e21}' },
  { name: 'fieldref number and text', detection: sel('  a|fieldref: b'), raw: '{"a":5.0,"b":"5"}' },
  { name: 'exists on null', detection: sel('  a|exists: true'), raw: '{"a":null}' },
  {
    name: 'keyword in nested number',
    detection: 'keywords:\n  - "1e+21"\ncondition: keywords',
    raw: '{"a":{"b":[1e21]}}',
  },
  {
    name: 'keyword skips keys',
    detection: 'keywords:\n  - "secret"\ncondition: keywords',
    raw: '{"secret":"x"}',
  },
];
