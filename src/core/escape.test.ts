import { describe, expect, it } from 'vitest';
import { csvCell, escapeMarkdown, sanitizeTerminal } from './escape.ts';

describe('escapeMarkdown', () => {
  it('keeps quotes as they are', () => {
    expect(escapeMarkdown(`say "hi" it's`)).toBe(`say "hi" it's`);
  });

  it('stops inline HTML', () => {
    expect(escapeMarkdown('<img src=x onerror=alert(1)> & co')).toBe(
      '&lt;img src=x onerror=alert(1)&gt; &amp; co',
    );
  });

  it('stops cell breaks and code spans', () => {
    expect(escapeMarkdown('a|b `c`')).toBe('a\\|b \\`c\\`');
  });

  it('keeps an escaped pipe escaped', () => {
    expect(escapeMarkdown('a\\|b')).toBe('a\\\\\\|b');
  });

  it('stops links and remote images', () => {
    expect(escapeMarkdown('![t](https://example.com/x.png)')).toBe(
      '!\\[t\\](https://example.com/x.png)',
    );
  });
});

describe('csvCell', () => {
  it('shows control characters as escapes', () => {
    expect(csvCell('\u001b[31mred\u0007\u009b')).toBe('\\x1b[31mred\\x07\\x9b');
  });

  it('neutralizes formulas after escaping', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('\r=1')).toBe("'\\x0d=1");
    expect(csvCell('\tx')).toBe("'\\x09x");
    expect(csvCell('\t=1+1')).toBe("'\\x09=1+1");
    expect(csvCell('a\tb')).toBe('a\\x09b');
  });

  it('shows reordering characters as escapes', () => {
    expect(csvCell('admin\u202etxt.exe')).toBe('admin\\u{202e}txt.exe');
    expect(csvCell('\u2066a\u2069\u200e\u2028')).toBe('\\u{2066}a\\u{2069}\\u{200e}\\u{2028}');
  });

  it('quotes delimiters, quotes and newlines', () => {
    expect(csvCell('a,"b"\nc')).toBe('"a,""b""\nc"');
  });

  it('writes empty and null alike', () => {
    expect(csvCell('')).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(-5)).toBe('-5');
  });
});

describe('sanitizeTerminal', () => {
  it('escapes bidirectional overrides and line separators', () => {
    expect(sanitizeTerminal('admin\u202egnp.exe')).toBe('admin\\u{202e}gnp.exe');
    expect(sanitizeTerminal('a\u2028b\u2066c\u200fd')).toBe('a\\u{2028}b\\u{2066}c\\u{200f}d');
  });

  it('keeps other text and escapes controls', () => {
    expect(sanitizeTerminal('caf\u00e9 \u65e5\u672c\tok\n')).toBe('caf\u00e9 \u65e5\u672c\tok\n');
    expect(sanitizeTerminal('\u001b[31mred')).toBe('\\x1b[31mred');
  });
});
