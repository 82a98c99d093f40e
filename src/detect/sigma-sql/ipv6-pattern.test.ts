import { isIPv6 } from 'node:net';
import { describe, expect, test } from 'vitest';
import { IPV6 } from './duckdb.ts';

// The SQL pattern is RE2 text; every construct it uses reads the same in JavaScript.
const pattern = new RegExp(`^(${IPV6})$`);

const PIECES = ['0', '1', 'a', 'f', 'F', 'g', ':', '::', '.', '12', '255', '256', 'ffff', '01'];
const KNOWN = [
  '::',
  '::1',
  '1::',
  '2001:db8::1',
  '::ffff:1.2.3.4',
  '::ffff:01.2.3.4',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:1.2.3.4',
  '1::2::3',
  '1:2:3:4:5:6:7::',
  '1:2:3:4:5:6:7:8:9',
  '00001::',
];

/** A small deterministic generator, so a failure repeats. */
function* strings(count: number): Generator<string> {
  let state = 42;
  const next = (limit: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % limit;
  };
  for (let index = 0; index < count; index++) {
    if (index % 2 === 0) {
      const groups = Array.from({ length: 1 + next(9) }, () =>
        next(8) === 0 ? '' : next(10) === 0 ? '1.2.3.4' : next(70_000).toString(16),
      );
      yield groups.join(':');
    } else {
      yield Array.from({ length: 1 + next(14) }, () => PIECES[next(PIECES.length)]).join('');
    }
  }
}

describe('IPv6 pattern of the SQL backend', () => {
  test.each(KNOWN)('agrees with isIPv6 on %s', (text) => {
    expect(pattern.test(text)).toBe(isIPv6(text));
  });

  test('agrees with isIPv6 on generated text', () => {
    const disagreements = [...strings(100_000)].filter(
      (text) => pattern.test(text) !== isIPv6(text),
    );
    expect(disagreements).toEqual([]);
  });
});
