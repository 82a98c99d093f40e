import { describe, expect, test } from 'vitest';
import { requiredLiteral } from './regex-literal.ts';
import { compileValueTest } from './value-tests.ts';

const flags = { i: false, m: false, s: false };
const regexTest = (source: string, i = false) =>
  compileValueTest({ kind: 'regex', source, flags: { ...flags, i } });

describe('requiredLiteral', () => {
  test.each([
    ['.+:assumed-role/aws:.+', ':assumed-role/aws:'],
    ['^abc$', 'abc'],
    ['ab.*cdef.+g', 'cdef'],
    ['x\\.y\\-z.*', 'x.y-z'],
    ['ab?c', null],
    ['a+bc', null],
    ['abc{2}', null],
    [':i-[0-9a-f]{8,17}$', null],
    ['(abc)', null],
    ['abc|def', null],
    ['a.c', null],
    ['.*?abc', null],
    ['abc\\\\$', null],
  ])('%s gives %s', (source, literal) => {
    expect(requiredLiteral(source, false)).toBe(literal);
  });

  test('none for case-insensitive regexes', () => {
    expect(requiredLiteral('abc', true)).toBeNull();
  });
});

describe('regex tests with a literal guard', () => {
  test('match where the literal occurs', () => {
    expect(regexTest('.+:assumed-role/aws:.+')('arn:aws:sts::1:assumed-role/aws:x/y')).toBe(true);
    expect(regexTest('x\\.y.*')('ax.y')).toBe(true);
    expect(regexTest('a.*b')('ab')).toBe(true);
    expect(regexTest('.+:Assumed-Role/.+', true)('a:assumed-role/b')).toBe(true);
  });

  test('leave the decision to RE2', () => {
    expect(regexTest('.+:assumed-role/aws:.+')(':assumed-role/aws:')).toBe(false);
    expect(regexTest('a.+b')('ab')).toBe(false);
    expect(regexTest('x\\.y.*')('xzy')).toBe(false);
    expect(regexTest('^abc$')('xabc')).toBe(false);
  });
});
