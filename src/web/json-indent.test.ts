import { describe, expect, it } from 'vitest';
import { indentJson, MAX_DEPTH } from './json-indent.ts';

describe('indentJson', () => {
  it('keeps numbers as written', () => {
    const raw = '{"big":12345678901234567890,"huge":1e400,"tiny":4.9e-330,"neg":-0.0}';

    expect(indentJson(raw)).toBe(
      '{\n  "big": 12345678901234567890,\n  "huge": 1e400,\n  "tiny": 4.9e-330,\n  "neg": -0.0\n}',
    );
  });

  it('indents nested containers and keeps empty ones', () => {
    const raw = ' {"a":[1, {"b":null}], "c":{}, "d":[ ]} ';

    expect(indentJson(raw)).toBe(
      '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ],\n  "c": {},\n  "d": []\n}',
    );
  });

  it('keeps strings with escapes and structural characters', () => {
    const raw = '{"k\\"ey":"a,b:{c}[d] \\\\","u":"\\u00e9\\u001b"}';

    expect(indentJson(raw)).toBe('{\n  "k\\"ey": "a,b:{c}[d] \\\\",\n  "u": "\\u00e9\\u001b"\n}');
  });

  it('returns text that is not JSON unchanged', () => {
    for (const raw of ['{"a":1', '{"a":"open}', '[1,2}', '1,2', 'plain text', ']']) {
      expect(indentJson(raw), raw).toBe(raw);
    }
  });

  it('returns records nested too deep unchanged', () => {
    const deep = `${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`;

    expect(indentJson(deep)).toBe(deep);
  });

  it('bounds the output of deeply nested lists', () => {
    const items = Array.from({ length: 100_000 }, () => '1').join(',');
    const raw = `${'['.repeat(200)}${items}${']'.repeat(200)}`;

    const indented = indentJson(raw);
    expect(indented.length).toBeLessThanOrEqual(raw.length * 4 + 65_536);
    expect(indented.replace(/\s/g, '')).toBe(raw);
  });

  it('indents a large record in linear time', () => {
    const record = `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":[${i},"v"]`).join(',')}}`;
    const started = performance.now();

    const indented = indentJson(record);
    expect(indented.replace(/\s/g, '')).toBe(record);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
