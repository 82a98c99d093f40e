/**
 * The conformance case table every Sigma backend must pass: the in-memory matcher now, SQL
 * compilers later. Each case is a rule, a raw record and whether the rule matches it. A backend
 * that cannot support a case lists it in its own skip list with the reason.
 */

/** One single-event case. */
export interface MatchCase {
  name: string;
  /** The `detection` section of a rule, as YAML; logsource and title are added around it. */
  detection: string;
  record: Record<string, unknown>;
  expected: boolean;
}

/** One correlation case: rules as a multi-document YAML file, and timed records in order. */
export interface CorrelationCase {
  name: string;
  rules: string;
  events: { time: string; record: Record<string, unknown> }[];
  /** Expected hits, by correlation title, each with its event indexes in time order. */
  expected: { title: string; events: number[]; group: Record<string, string> }[];
  /** Titles of base rules expected to be reported on their own, by event index. */
  emitted?: { title: string; event: number }[];
}

const sel = (body: string) => `selection:\n${body}\ncondition: selection`;

/** Builds a record whose value sits under `depth` objects, each with the same key. */
function nested(depth: number, key: string, value: unknown): Record<string, unknown> {
  let node: unknown = value;
  for (let level = 1; level < depth; level++) node = { [key]: node };
  return { [key]: node };
}

/** Wraps a value in `depth` nested arrays. */
function nestedArray(depth: number, value: unknown): unknown[] {
  let node: unknown = value;
  for (let level = 1; level < depth; level++) node = [node];
  return [node];
}

/** Single-event cases: values, modifiers, escapes, null, arrays, objects, dotted keys. */
export const MATCH_CASES: MatchCase[] = [
  // Plain values
  {
    name: 'equal value matches',
    detection: sel('  eventName: ListBuckets'),
    record: { eventName: 'ListBuckets' },
    expected: true,
  },
  {
    name: 'values are case-insensitive',
    detection: sel('  eventName: listbuckets'),
    record: { eventName: 'ListBuckets' },
    expected: true,
  },
  {
    name: 'plain value is a whole match',
    detection: sel('  eventName: List'),
    record: { eventName: 'ListBuckets' },
    expected: false,
  },
  {
    name: 'value list is OR',
    detection: sel('  eventName: [A, B]'),
    record: { eventName: 'b' },
    expected: true,
  },
  { name: 'map is AND', detection: sel('  a: 1\n  b: 2'), record: { a: 1, b: 3 }, expected: false },
  {
    name: 'map is AND, all hold',
    detection: sel('  a: 1\n  b: 2'),
    record: { a: 1, b: 2 },
    expected: true,
  },
  {
    name: 'list of maps is OR',
    detection: sel('  - a: 1\n  - b: 2'),
    record: { b: 2 },
    expected: true,
  },
  { name: 'missing field fails', detection: sel('  a: x'), record: { b: 'x' }, expected: false },
  {
    name: 'empty string matches empty',
    detection: sel("  a: ''"),
    record: { a: '' },
    expected: true,
  },
  { name: 'empty string is not missing', detection: sel("  a: ''"), record: {}, expected: false },
  // Wildcards and escapes
  {
    name: 'star wildcard',
    detection: sel("  a: 'Get*Policy'"),
    record: { a: 'GetBucketPolicy' },
    expected: true,
  },
  { name: 'question wildcard', detection: sel("  a: 'a?c'"), record: { a: 'abc' }, expected: true },
  {
    name: 'question needs one char',
    detection: sel("  a: 'a?c'"),
    record: { a: 'ac' },
    expected: false,
  },
  {
    // A backtracking matcher tries every split of the text between the stars here.
    name: 'many stars over a long text',
    detection: sel("  a: '*a*a*a*b'"),
    record: { a: `b${'a'.repeat(2000)}` },
    expected: false,
  },
  {
    name: 'star spans a line break',
    detection: sel("  a: 'x*y'"),
    record: { a: 'x\nmid\ny' },
    expected: true,
  },
  {
    name: 'regex characters around a star are literal',
    detection: sel("  a: '*(1+1).[x]{2}|^$*'"),
    record: { a: 'cost (1+1).[x]{2}|^$ now' },
    expected: true,
  },
  {
    name: 'dot beside a star is no wildcard',
    detection: sel("  a: 'c.st*'"),
    record: { a: 'cost now' },
    expected: false,
  },
  {
    name: 'escaped star is literal',
    detection: sel("  a: 'a\\*c'"),
    record: { a: 'a*c' },
    expected: true,
  },
  {
    name: 'escaped star is not wildcard',
    detection: sel("  a: 'a\\*c'"),
    record: { a: 'abc' },
    expected: false,
  },
  {
    name: 'escaped question is literal',
    detection: sel("  a: 'a\\?'"),
    record: { a: 'a?' },
    expected: true,
  },
  {
    name: 'double backslash is one',
    detection: sel("  a: 'C:\\\\x'"),
    record: { a: 'C:\\x' },
    expected: true,
  },
  {
    name: 'lone backslash is literal',
    detection: sel("  a: 'C:\\Windows'"),
    record: { a: 'C:\\Windows' },
    expected: true,
  },
  {
    name: 'escaped backslash before star',
    detection: sel("  a: 'x\\\\*'"),
    record: { a: 'x\\anything' },
    expected: true,
  },
  // Numbers and booleans
  { name: 'number equals number', detection: sel('  a: 5'), record: { a: 5 }, expected: true },
  { name: 'number equals its text', detection: sel('  a: 5'), record: { a: '5' }, expected: true },
  {
    name: 'text equals number field',
    detection: sel("  a: '5'"),
    record: { a: 5 },
    expected: true,
  },
  {
    name: 'boolean equals boolean',
    detection: sel('  a: true'),
    record: { a: true },
    expected: true,
  },
  {
    name: 'boolean equals its text',
    detection: sel('  a: false'),
    record: { a: 'False' },
    expected: true,
  },
  { name: 'boolean differs', detection: sel('  a: true'), record: { a: false }, expected: false },
  // null
  { name: 'null matches missing', detection: sel('  a: null'), record: {}, expected: true },
  { name: 'null matches null', detection: sel('  a: null'), record: { a: null }, expected: true },
  { name: 'null fails on value', detection: sel('  a: null'), record: { a: 'x' }, expected: false },
  {
    name: 'not null requires value',
    detection: 'selection:\n  a: null\ncondition: not selection',
    record: { a: 'x' },
    expected: true,
  },
  // Arrays and objects
  {
    name: 'array matches any element',
    detection: sel('  a: x'),
    record: { a: ['y', 'X'] },
    expected: true,
  },
  {
    name: 'array with no such element',
    detection: sel('  a: x'),
    record: { a: ['y', 'z'] },
    expected: false,
  },
  {
    name: 'object matches as JSON text',
    detection: sel('  requestParameters|contains: \'"policyName":"admin"\''),
    record: { requestParameters: { policyName: 'admin' } },
    expected: true,
  },
  {
    name: 'object JSON is case-insensitive',
    detection: sel("  p|contains: 'ADMINISTRATORACCESS'"),
    record: { p: { policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
    expected: true,
  },
  // Dotted names
  {
    name: 'dotted name as nested path',
    detection: sel('  userIdentity.type: Root'),
    record: { userIdentity: { type: 'Root' } },
    expected: true,
  },
  {
    name: 'dotted name as literal key',
    detection: sel('  userIdentity.type: Root'),
    record: { 'userIdentity.type': 'Root' },
    expected: true,
  },
  {
    name: 'literal key wins over path',
    detection: sel('  a.b: x'),
    record: { 'a.b': 'y', a: { b: 'x' } },
    expected: false,
  },
  {
    name: 'path through array',
    detection: sel('  items.name: b'),
    record: { items: [{ name: 'a' }, { name: 'b' }] },
    expected: true,
  },
  {
    name: 'deep path',
    detection: sel('  a.b.c: 1'),
    record: { a: { b: { c: 1 } } },
    expected: true,
  },
  // Keywords
  {
    name: 'keyword finds substring anywhere',
    detection: 'keywords:\n  - secret\ncondition: keywords',
    record: { a: { b: ['xx', 'my-SECRET-key'] } },
    expected: true,
  },
  {
    name: 'keyword absent',
    detection: 'keywords:\n  - secret\ncondition: keywords',
    record: { a: 'nothing' },
    expected: false,
  },
  {
    name: 'keyword list is OR',
    detection: 'keywords:\n  - foo\n  - bar\ncondition: keywords',
    record: { a: 'bar' },
    expected: true,
  },
  {
    name: 'keyword all modifier',
    detection: "keywords:\n  '|all':\n    - foo\n    - bar\ncondition: keywords",
    record: { a: 'foo', b: 'bar' },
    expected: true,
  },
  {
    name: 'keyword all needs each',
    detection: "keywords:\n  '|all':\n    - foo\n    - bar\ncondition: keywords",
    record: { a: 'foo' },
    expected: false,
  },
  {
    name: 'keyword matches numbers',
    detection: 'keywords:\n  - 443\ncondition: keywords',
    record: { port: 8443 },
    expected: true,
  },
  {
    name: 'keyword at step bound',
    detection: 'keywords:\n  - secret\ncondition: keywords',
    record: nested(32, 'key', 'secret'),
    expected: true,
  },
  {
    name: 'keyword past step bound',
    detection: 'keywords:\n  - secret\ncondition: keywords',
    record: nested(33, 'key', 'secret'),
    expected: false,
  },
  {
    name: 'keyword in deep array',
    detection: 'keywords:\n  - secret\ncondition: keywords',
    record: { list: nestedArray(31, 'secret') },
    expected: true,
  },
  {
    name: 'keyword past bound in arrays',
    detection: 'keywords:\n  - secret\ncondition: keywords',
    record: { list: nestedArray(32, 'secret') },
    expected: false,
  },
  {
    name: 'dotted keys count as steps',
    detection: 'keywords:\n  - secret\ncondition: keywords',
    record: nested(30, 'a.b[c', 'secret'),
    expected: false,
  },
  {
    name: 'dotted keys within bound',
    detection: 'keywords:\n  - secret\ncondition: keywords',
    record: nested(10, 'a.b[c', 'secret'),
    expected: true,
  },
  // Position modifiers and all
  {
    name: 'contains',
    detection: sel('  a|contains: ucket'),
    record: { a: 'ListBuckets' },
    expected: true,
  },
  {
    name: 'startswith',
    detection: sel('  a|startswith: list'),
    record: { a: 'ListBuckets' },
    expected: true,
  },
  {
    name: 'startswith fails at end',
    detection: sel('  a|startswith: buckets'),
    record: { a: 'ListBuckets' },
    expected: false,
  },
  {
    name: 'endswith',
    detection: sel('  a|endswith: buckets'),
    record: { a: 'ListBuckets' },
    expected: true,
  },
  {
    name: 'contains keeps inner wildcard',
    detection: sel("  a|contains: 'b*d'"),
    record: { a: 'xxbcdxx' },
    expected: true,
  },
  {
    name: 'contains all needs every value',
    detection: sel('  a|contains|all: [foo, bar]'),
    record: { a: 'foo baz' },
    expected: false,
  },
  {
    name: 'contains all holds',
    detection: sel('  a|contains|all: [foo, bar]'),
    record: { a: 'bar foo' },
    expected: true,
  },
  {
    name: 'cased rejects other case',
    detection: sel('  a|cased: ListBuckets'),
    record: { a: 'listbuckets' },
    expected: false,
  },
  {
    name: 'cased accepts same case',
    detection: sel('  a|cased: ListBuckets'),
    record: { a: 'ListBuckets' },
    expected: true,
  },
  {
    name: 'contains cased',
    detection: sel('  a|contains|cased: Admin'),
    record: { a: 'xadminx' },
    expected: false,
  },
  // Regular expressions
  {
    name: 're searches anywhere',
    detection: sel("  a|re: 'b.c'"),
    record: { a: 'xxbzcxx' },
    expected: true,
  },
  { name: 're anchors', detection: sel("  a|re: '^abc$'"), record: { a: 'xabc' }, expected: false },
  {
    name: 're is case-sensitive',
    detection: sel("  a|re: 'ABC'"),
    record: { a: 'abc' },
    expected: false,
  },
  {
    name: 're i is case-insensitive',
    detection: sel("  a|re|i: 'ABC'"),
    record: { a: 'abc' },
    expected: true,
  },
  {
    name: 're m makes ^ per line',
    detection: sel("  a|re|m: '^two'"),
    record: { a: 'one\ntwo' },
    expected: true,
  },
  {
    name: 're without m',
    detection: sel("  a|re: '^two'"),
    record: { a: 'one\ntwo' },
    expected: false,
  },
  {
    name: 're s lets dot match newline',
    detection: sel("  a|re|s: 'one.two'"),
    record: { a: 'one\ntwo' },
    expected: true,
  },
  {
    name: 're without s',
    detection: sel("  a|re: 'one.two'"),
    record: { a: 'one\ntwo' },
    expected: false,
  },
  // CIDR
  {
    name: 'cidr ipv4 inside',
    detection: sel('  ip|cidr: 10.0.0.0/8'),
    record: { ip: '10.20.30.40' },
    expected: true,
  },
  {
    name: 'cidr ipv4 outside',
    detection: sel('  ip|cidr: 10.0.0.0/8'),
    record: { ip: '11.0.0.1' },
    expected: false,
  },
  {
    name: 'cidr ipv6 inside',
    detection: sel("  ip|cidr: '2001:db8::/32'"),
    record: { ip: '2001:db8:1::5' },
    expected: true,
  },
  {
    name: 'cidr ipv6 outside',
    detection: sel("  ip|cidr: '2001:db8::/32'"),
    record: { ip: '2001:db9::1' },
    expected: false,
  },
  {
    name: 'cidr ipv6 partial digit inside',
    detection: sel("  ip|cidr: '2001:db8::/33'"),
    record: { ip: '2001:db8:7fff::1' },
    expected: true,
  },
  {
    name: 'cidr ipv6 partial digit outside',
    detection: sel("  ip|cidr: '2001:db8::/33'"),
    record: { ip: '2001:db8:8000::1' },
    expected: false,
  },
  {
    name: 'cidr ipv6 upper case',
    detection: sel("  ip|cidr: 'fe80::/10'"),
    record: { ip: 'FE80::1' },
    expected: true,
  },
  {
    name: 'cidr ipv6 prefix 10 outside',
    detection: sel("  ip|cidr: 'fe80::/10'"),
    record: { ip: 'fec0::1' },
    expected: false,
  },
  {
    name: 'cidr ipv6 with zone',
    detection: sel("  ip|cidr: 'fe80::/10'"),
    record: { ip: 'fe80::1%eth0' },
    expected: true,
  },
  {
    name: 'cidr ipv6 mapped ipv4 tail',
    detection: sel("  ip|cidr: '::ffff:0:0/96'"),
    record: { ip: '::ffff:10.1.2.3' },
    expected: true,
  },
  {
    name: 'cidr ipv6 tail inside /120',
    detection: sel("  ip|cidr: '::ffff:10.1.2.0/120'"),
    record: { ip: '::ffff:10.1.2.200' },
    expected: true,
  },
  {
    name: 'cidr ipv6 tail outside /120',
    detection: sel("  ip|cidr: '::ffff:10.1.2.0/120'"),
    record: { ip: '::ffff:10.1.3.1' },
    expected: false,
  },
  {
    name: 'cidr ipv6 all zero',
    detection: sel("  ip|cidr: '::/0'"),
    record: { ip: '::' },
    expected: true,
  },
  {
    name: 'cidr ipv6 full form',
    detection: sel("  ip|cidr: '2001:db8::/48'"),
    record: { ip: '2001:0db8:0000:0000:0000:0000:0000:0001' },
    expected: true,
  },
  {
    name: 'cidr ipv6 single host',
    detection: sel("  ip|cidr: '2001:db8::1'"),
    record: { ip: '2001:db8:0::1' },
    expected: true,
  },
  {
    name: 'cidr ipv6 trailing compression',
    detection: sel("  ip|cidr: '2001:db8:1::/48'"),
    record: { ip: '2001:db8:1::' },
    expected: true,
  },
  {
    name: 'cidr ipv6 padded',
    detection: sel("  ip|cidr: '2001:db8::/32'"),
    record: { ip: ' 2001:db8::5\n' },
    expected: true,
  },
  {
    name: 'cidr ipv6 invalid text',
    detection: sel("  ip|cidr: '2001:db8::/32'"),
    record: { ip: '2001:db8::1::2' },
    expected: false,
  },
  {
    name: 'cidr ipv6 on ipv4 text',
    detection: sel("  ip|cidr: '::/0'"),
    record: { ip: '10.1.2.3' },
    expected: false,
  },
  {
    name: 'cidr ipv4 on ipv6 text',
    detection: sel("  ip|cidr: '0.0.0.0/0'"),
    record: { ip: '::1' },
    expected: false,
  },
  {
    name: 'cidr ipv6 leading zero octet',
    detection: sel("  ip|cidr: '::ffff:0:0/96'"),
    record: { ip: '::ffff:010.1.2.3' },
    expected: false,
  },
  {
    name: 'cidr list is OR',
    detection: sel('  ip|cidr: [192.168.0.0/16, 172.16.0.0/12]'),
    record: { ip: '172.20.1.1' },
    expected: true,
  },
  {
    name: 'cidr ignores non addresses',
    detection: sel('  ip|cidr: 10.0.0.0/8'),
    record: { ip: 'AWS Internal' },
    expected: false,
  },
  // Encodings
  {
    name: 'base64',
    detection: sel('  a|base64: secret'),
    record: { a: 'c2VjcmV0' },
    expected: true,
  },
  {
    name: 'base64 contains',
    detection: sel('  a|base64|contains: secret'),
    record: { a: 'xxc2VjcmV0yy' },
    expected: true,
  },
  {
    name: 'base64offset shift 0',
    detection: sel('  a|base64offset|contains: secret'),
    record: { a: Buffer.from('my secret data').toString('base64') },
    expected: true,
  },
  {
    name: 'base64offset shift 1',
    detection: sel('  a|base64offset|contains: secret'),
    record: { a: Buffer.from('a secret').toString('base64') },
    expected: true,
  },
  {
    name: 'base64offset shift 2',
    detection: sel('  a|base64offset|contains: secret'),
    record: { a: Buffer.from('secret').toString('base64') },
    expected: true,
  },
  {
    name: 'base64offset absent',
    detection: sel('  a|base64offset|contains: secret'),
    record: { a: Buffer.from('public data').toString('base64') },
    expected: false,
  },
  {
    name: 'wide base64offset',
    detection: sel('  a|wide|base64offset|contains: ping'),
    record: { a: Buffer.from('cmd /c ping', 'utf16le').toString('base64') },
    expected: true,
  },
  {
    name: 'utf16le then base64',
    detection: sel('  a|utf16le|base64: ab'),
    record: { a: Buffer.from('ab', 'utf16le').toString('base64') },
    expected: true,
  },
  {
    name: 'utf16be then base64',
    detection: sel('  a|utf16be|base64: ab'),
    record: { a: Buffer.from([0, 0x61, 0, 0x62]).toString('base64') },
    expected: true,
  },
  {
    name: 'utf16 adds byte order mark',
    detection: sel('  a|utf16|base64: ab'),
    record: { a: Buffer.from([0xff, 0xfe, 0x61, 0, 0x62, 0]).toString('base64') },
    expected: true,
  },
  {
    name: 'windash slash for dash',
    detection: sel("  a|windash|contains: ' -enc '"),
    record: { a: 'powershell /enc abc' },
    expected: true,
  },
  {
    name: 'windash en dash',
    detection: sel("  a|windash|contains: ' -enc '"),
    record: { a: 'powershell \u2013enc abc' },
    expected: true,
  },
  {
    name: 'windash keeps other text',
    detection: sel("  a|windash|contains: ' -enc '"),
    record: { a: 'powershell +enc abc' },
    expected: false,
  },
  // exists, numeric, neq, fieldref, time
  {
    name: 'exists true on present',
    detection: sel('  a|exists: true'),
    record: { a: null },
    expected: true,
  },
  {
    name: 'exists true on absent',
    detection: sel('  a|exists: true'),
    record: {},
    expected: false,
  },
  {
    name: 'exists false on absent',
    detection: sel('  a|exists: false'),
    record: {},
    expected: true,
  },
  {
    name: 'exists on nested path',
    detection: sel('  a.b|exists: true'),
    record: { a: { b: 1 } },
    expected: true,
  },
  { name: 'gt', detection: sel('  n|gt: 10'), record: { n: 11 }, expected: true },
  {
    name: 'gt on decimal text',
    detection: sel('  n|gt: 10'),
    record: { n: ' 16 ' },
    expected: true,
  },
  { name: 'gt on hex text', detection: sel('  n|gt: 10'), record: { n: '0x10' }, expected: false },
  { name: 'lt on hex text', detection: sel('  n|lt: 100'), record: { n: '0x10' }, expected: false },
  {
    name: 'lt on binary text',
    detection: sel('  n|lt: 100'),
    record: { n: '0b1' },
    expected: false,
  },
  {
    name: 'gte on exponent text',
    detection: sel('  n|gte: 100'),
    record: { n: '1e2' },
    expected: true,
  },
  { name: 'gt boundary', detection: sel('  n|gt: 10'), record: { n: 10 }, expected: false },
  { name: 'gte boundary', detection: sel('  n|gte: 10'), record: { n: 10 }, expected: true },
  {
    name: 'lt on numeric text',
    detection: sel('  n|lt: 10'),
    record: { n: '9.5' },
    expected: true,
  },
  { name: 'lte', detection: sel('  n|lte: 10'), record: { n: 11 }, expected: false },
  {
    name: 'compare ignores non numbers',
    detection: sel('  n|lt: 10'),
    record: { n: 'abc' },
    expected: false,
  },
  { name: 'neq on other value', detection: sel('  a|neq: x'), record: { a: 'y' }, expected: true },
  { name: 'neq on same value', detection: sel('  a|neq: x'), record: { a: 'X' }, expected: false },
  { name: 'neq on missing field', detection: sel('  a|neq: x'), record: {}, expected: false },
  {
    name: 'fieldref equal',
    detection: sel('  a|fieldref: b'),
    record: { a: 'Same', b: 'same' },
    expected: true,
  },
  {
    name: 'fieldref differs',
    detection: sel('  a|fieldref: b'),
    record: { a: 'x', b: 'y' },
    expected: false,
  },
  {
    name: 'fieldref neq',
    detection: sel('  a|fieldref|neq: b'),
    record: { a: 'x', b: 'y' },
    expected: true,
  },
  {
    name: 'hour of timestamp',
    detection: sel('  t|hour: 3'),
    record: { t: '2024-05-01T03:15:00Z' },
    expected: true,
  },
  {
    name: 'hour gte',
    detection: sel('  t|hour|gte: 22'),
    record: { t: '2024-05-01T03:15:00Z' },
    expected: false,
  },
  {
    name: 'month of timestamp',
    detection: sel('  t|month: 5'),
    record: { t: '2024-05-01T03:15:00Z' },
    expected: true,
  },
  {
    name: 'year of timestamp',
    detection: sel('  t|year: 2024'),
    record: { t: '2024-05-01T03:15:00Z' },
    expected: true,
  },
  {
    name: 'week of timestamp',
    detection: sel('  t|week: 1'),
    record: { t: '2024-01-03T00:00:00Z' },
    expected: true,
  },
  {
    name: 'minute and day',
    detection: sel('  t|minute: 15\n  t|day: 1'),
    record: { t: '2024-05-01T03:15:00Z' },
    expected: true,
  },
  // Conditions
  {
    name: 'and not',
    detection: 'a:\n  x: 1\nb:\n  y: 2\ncondition: a and not b',
    record: { x: 1, y: 2 },
    expected: false,
  },
  {
    name: 'or',
    detection: 'a:\n  x: 1\nb:\n  y: 2\ncondition: a or b',
    record: { y: 2 },
    expected: true,
  },
  {
    name: 'parentheses',
    detection: 'a:\n  x: 1\nb:\n  y: 2\nc:\n  z: 3\ncondition: a and (b or c)',
    record: { x: 1, z: 3 },
    expected: true,
  },
  {
    name: 'and binds before or',
    detection: 'a:\n  x: 1\nb:\n  y: 2\nc:\n  z: 3\ncondition: a or b and c',
    record: { x: 1 },
    expected: true,
  },
  {
    name: 'not binds tightest',
    detection: 'a:\n  x: 1\nb:\n  y: 2\ncondition: not a and b',
    record: { x: 1, y: 2 },
    expected: false,
  },
  {
    name: '1 of pattern',
    detection: 'sel_a:\n  x: 1\nsel_b:\n  y: 2\ncondition: 1 of sel_*',
    record: { y: 2 },
    expected: true,
  },
  {
    name: 'all of pattern',
    detection: 'sel_a:\n  x: 1\nsel_b:\n  y: 2\ncondition: all of sel_*',
    record: { y: 2 },
    expected: false,
  },
  {
    name: 'all of pattern holds',
    detection: 'sel_a:\n  x: 1\nsel_b:\n  y: 2\ncondition: all of sel_*',
    record: { x: 1, y: 2 },
    expected: true,
  },
  {
    name: '2 of them',
    detection: 'a:\n  x: 1\nb:\n  y: 2\nc:\n  z: 3\ncondition: 2 of them',
    record: { x: 1, z: 3 },
    expected: true,
  },
  {
    name: '2 of them needs two',
    detection: 'a:\n  x: 1\nb:\n  y: 2\nc:\n  z: 3\ncondition: 2 of them',
    record: { x: 1 },
    expected: false,
  },
  {
    name: '1 of them skips underscore',
    detection: 'sel:\n  x: 1\n_helper:\n  y: 2\ncondition: 1 of them',
    record: { y: 2 },
    expected: false,
  },
  {
    name: 'all of them skips underscore',
    detection: 'sel:\n  x: 1\n_helper:\n  y: 2\ncondition: all of them',
    record: { x: 1 },
    expected: true,
  },
  {
    name: 'underscore by explicit pattern',
    detection: 'sel:\n  x: 1\n_helper:\n  y: 2\ncondition: 1 of _h*',
    record: { y: 2 },
    expected: true,
  },
  {
    name: 'not 1 of filter',
    detection:
      'sel:\n  x: 1\nfilter_a:\n  y: 2\nfilter_b:\n  z: 3\ncondition: sel and not 1 of filter_*',
    record: { x: 1, z: 3 },
    expected: false,
  },
  {
    name: 'condition keywords any case',
    detection: 'a:\n  x: 1\nb:\n  y: 2\ncondition: a AND NOT b',
    record: { x: 1 },
    expected: true,
  },
];

const BASE = (name: string, id: string, eventName: string) => `title: ${name}
id: ${id}
name: ${name}
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ${eventName}
  condition: selection
`;

const LOGIN_ID = '11111111-1111-4111-8111-111111111111';
const FAIL_ID = '22222222-2222-4222-8222-222222222222';
const CREATE_ID = '33333333-3333-4333-8333-333333333333';

const at = (minute: number) => `2024-05-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
const login = (user: string, minute: number, ip = '1.1.1.1') => ({
  time: at(minute),
  record: { eventName: 'ConsoleLogin', userIdentity: { userName: user }, sourceIPAddress: ip },
});
const failed = (user: string, minute: number) => ({
  time: at(minute),
  record: { eventName: 'FailedLogin', userIdentity: { userName: user } },
});
const create = (user: string, minute: number, bytes = 0) => ({
  time: at(minute),
  record: { eventName: 'CreateAccessKey', userIdentity: { userName: user }, bytes },
});

/** Correlation cases: counts, distinct values, sums, temporal order, chaining, generate. */
export const CORRELATION_CASES: CorrelationCase[] = [
  {
    name: 'event_count per group within timespan',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
title: many logins
correlation:
  type: event_count
  rules: [login]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition:
    gte: 3
`,
    events: [
      login('alice', 0),
      login('bob', 1),
      login('alice', 2),
      login('alice', 5),
      login('bob', 30),
      login('alice', 40),
    ],
    expected: [
      { title: 'many logins', events: [0, 2, 3], group: { 'userIdentity.userName': 'alice' } },
    ],
  },
  {
    name: 'event_count outside timespan',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
title: many logins
correlation:
  type: event_count
  rules: [${LOGIN_ID}]
  group-by: [userIdentity.userName]
  timespan: 2m
  condition:
    gte: 3
`,
    events: [login('alice', 0), login('alice', 2), login('alice', 5)],
    expected: [],
  },
  {
    name: 'event_count range condition',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
title: some logins
correlation:
  type: event_count
  rules: [login]
  timespan: 1h
  condition:
    gt: 1
    lte: 2
`,
    events: [login('alice', 0), login('bob', 1)],
    expected: [{ title: 'some logins', events: [0, 1], group: {} }],
  },
  {
    name: 'event_count window includes its end',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
title: two logins
correlation:
  type: event_count
  rules: [login]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition:
    gte: 2
`,
    events: [
      { ...login('alice', 0), time: '2024-05-01T10:00:00.000Z' },
      { ...login('bob', 0), time: '2024-05-01T10:00:00.000Z' },
      { ...login('alice', 0), time: '2024-05-01T11:00:00.000Z' },
      { ...login('bob', 0), time: '2024-05-01T11:00:00.001Z' },
    ],
    expected: [
      { title: 'two logins', events: [0, 2], group: { 'userIdentity.userName': 'alice' } },
    ],
  },
  {
    name: 'value_count distinct values',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
title: many addresses
correlation:
  type: value_count
  rules: [login]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition:
    field: sourceIPAddress
    gte: 3
`,
    events: [
      login('alice', 0, '1.1.1.1'),
      login('alice', 1, '1.1.1.1'),
      login('alice', 2, '2.2.2.2'),
      login('bob', 3, '3.3.3.3'),
      login('alice', 4, '3.3.3.3'),
    ],
    expected: [
      {
        title: 'many addresses',
        events: [0, 1, 2, 4],
        group: { 'userIdentity.userName': 'alice' },
      },
    ],
  },
  {
    name: 'value_sum over field',
    rules: `${BASE('create', CREATE_ID, 'CreateAccessKey')}---
title: big sum
correlation:
  type: value_sum
  rules: [create]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition:
    field: bytes
    gt: 100
`,
    events: [create('alice', 0, 60), create('bob', 1, 90), create('alice', 2, 50)],
    expected: [{ title: 'big sum', events: [0, 2], group: { 'userIdentity.userName': 'alice' } }],
  },
  {
    name: 'value_avg over field',
    rules: `${BASE('create', CREATE_ID, 'CreateAccessKey')}---
title: big average
correlation:
  type: value_avg
  rules: [create]
  timespan: 1h
  condition:
    field: bytes
    gte: 50
`,
    events: [create('alice', 0, 40), create('bob', 1, 60)],
    expected: [{ title: 'big average', events: [0, 1], group: {} }],
  },
  {
    name: 'value_percentile rare value',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
title: rare address
correlation:
  type: value_percentile
  rules: [login]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition:
    field: sourceIPAddress
    lte: 10
`,
    events: [
      ...Array.from({ length: 9 }, (_, minute) => login('alice', minute)),
      login('alice', 9, '6.6.6.6'),
      ...Array.from({ length: 3 }, (_, minute) => login('bob', minute)),
      login('bob', 3, '6.6.6.6'),
    ],
    expected: [{ title: 'rare address', events: [9], group: { 'userIdentity.userName': 'alice' } }],
  },
  {
    name: 'value_percentile common value',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
title: usual address
correlation:
  type: value_percentile
  rules: [login]
  timespan: 1h
  condition:
    field: sourceIPAddress
    gte: 75
`,
    events: [login('alice', 0), login('bob', 1), login('carol', 2), login('dave', 3, '6.6.6.6')],
    // 1.1.1.1 is every event of the windows that end at its events. The window that starts at
    // the last event holds 6.6.6.6 alone: near either end of a stream few events make a window,
    // so a gt or gte share there is easy to reach.
    expected: [
      { title: 'usual address', events: [0, 1, 2], group: {} },
      { title: 'usual address', events: [3], group: {} },
    ],
  },
  {
    name: 'temporal in any order',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
${BASE('create', CREATE_ID, 'CreateAccessKey')}---
title: login and key
correlation:
  type: temporal
  rules: [login, create]
  group-by: [userIdentity.userName]
  timespan: 5m
`,
    events: [create('alice', 0), login('bob', 1), login('alice', 3), login('bob', 20)],
    expected: [
      { title: 'login and key', events: [0, 2], group: { 'userIdentity.userName': 'alice' } },
    ],
  },
  {
    name: 'temporal_ordered needs order',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
${BASE('create', CREATE_ID, 'CreateAccessKey')}---
title: login then key
correlation:
  type: temporal_ordered
  rules: [login, create]
  group-by: [userIdentity.userName]
  timespan: 5m
`,
    events: [
      create('alice', 0),
      login('alice', 1),
      login('bob', 2),
      create('bob', 4),
      create('carol', 5),
    ],
    expected: [
      { title: 'login then key', events: [2, 3], group: { 'userIdentity.userName': 'bob' } },
    ],
  },
  {
    name: 'aliases map fields per rule',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
${BASE('create', CREATE_ID, 'CreateAccessKey')}---
title: same principal
correlation:
  type: temporal
  rules: [login, create]
  group-by: [principal]
  timespan: 5m
  aliases:
    principal:
      login: userIdentity.userName
      create: requestParameters.userName
`,
    events: [
      login('alice', 0),
      {
        time: at(1),
        record: {
          eventName: 'CreateAccessKey',
          userIdentity: { userName: 'alice' },
          requestParameters: { userName: 'mallory' },
        },
      },
      {
        time: at(2),
        record: {
          eventName: 'CreateAccessKey',
          userIdentity: { userName: 'mallory' },
          requestParameters: { userName: 'alice' },
        },
      },
    ],
    expected: [{ title: 'same principal', events: [0, 2], group: { principal: 'alice' } }],
  },
  {
    name: 'chained correlation',
    rules: `title: failures then login
correlation:
  type: temporal_ordered
  rules: [many_failures, login]
  group-by: [userIdentity.userName]
  timespan: 10m
---
title: many failures
name: many_failures
correlation:
  type: event_count
  rules: [fail]
  group-by: [userIdentity.userName]
  timespan: 10m
  condition:
    gte: 2
---
${BASE('fail', FAIL_ID, 'FailedLogin')}---
${BASE('login', LOGIN_ID, 'ConsoleLogin')}`,
    events: [
      failed('alice', 0),
      failed('alice', 1),
      login('alice', 2),
      failed('bob', 0),
      login('bob', 3),
    ],
    expected: [
      { title: 'many failures', events: [0, 1], group: { 'userIdentity.userName': 'alice' } },
      {
        title: 'failures then login',
        events: [0, 1, 2],
        group: { 'userIdentity.userName': 'alice' },
      },
    ],
  },
  {
    name: 'base rules silent unless generate',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
${BASE('create', CREATE_ID, 'CreateAccessKey')}---
title: many logins
correlation:
  type: event_count
  rules: [login]
  timespan: 1h
  condition:
    gte: 5
`,
    events: [login('alice', 0), create('alice', 1)],
    expected: [],
    emitted: [{ title: 'create', event: 1 }],
  },
  {
    name: 'generate reports base rules',
    rules: `${BASE('login', LOGIN_ID, 'ConsoleLogin')}---
title: many logins
generate: true
correlation:
  type: event_count
  rules: [login]
  timespan: 1h
  condition:
    gte: 5
`,
    events: [login('alice', 0)],
    expected: [],
    emitted: [{ title: 'login', event: 0 }],
  },
];
