import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseRuleText, RuleSet } from '../detect/sigma/index.ts';
import type { DetectionRule } from '../detect/sigma/model.ts';
import { cloudtrailEvent, cloudtrailRule } from '../detect/sigma/test-events.ts';
import { RAW_TEXT_CASES } from '../detect/sigma-sql/raw-text-cases.ts';
import { isLossyNumber, parseJsonLossless } from './json-numbers.ts';
import { scanJsonRecords } from './json-records.ts';

describe('lossless JSON parsing', () => {
  it('keeps numbers JSON.parse would change as text', () => {
    const text =
      '{"big":12345678901234567890,"huge":1e400,"negative":-9007199254740993,"safe":9007199254740991,"fraction":2.5,"tiny":1e-400}';
    expect(parseJsonLossless(text)).toEqual({
      big: '12345678901234567890',
      huge: '1e400',
      negative: '-9007199254740993',
      safe: 9007199254740991,
      fraction: 2.5,
      tiny: 0,
    });
  });

  it('leaves strings and escapes alone', () => {
    const text = '{"a":"12345678901234567890","b":"q\\"1e999 \\\\","c":[1e400,"x"]}';
    expect(parseJsonLossless(text)).toEqual({
      a: '12345678901234567890',
      b: 'q"1e999 \\',
      c: ['1e400', 'x'],
    });
  });

  it('still rejects invalid JSON', () => {
    expect(() => parseJsonLossless('{"a":12345678901234567890')).toThrow(SyntaxError);
    expect(() => parseJsonLossless('{"a":012345678901234567890}')).toThrow(SyntaxError);
  });

  it('tells lossy number tokens', () => {
    expect(isLossyNumber('9007199254740992')).toBe(true);
    expect(isLossyNumber('9007199254740991')).toBe(false);
    expect(isLossyNumber('1.7976931348623157e308')).toBe(false);
    expect(isLossyNumber('1.8e308')).toBe(true);
  });

  it('is what the record scanner yields, with the text verbatim', async () => {
    const text = '{"eventName":"x","n":12345678901234567890}\n';
    const results = [];
    for await (const result of scanJsonRecords(Readable.from([Buffer.from(text)]))) {
      results.push(result);
    }

    expect(results).toEqual([
      expect.objectContaining({
        kind: 'record',
        value: { eventName: 'x', n: '12345678901234567890' },
        text: text.trim(),
      }),
    ]);
  });

  it('lets rules match the digits as written', () => {
    const names = [
      'integer beyond 2^53',
      'integer beyond 2^64',
      'number beyond double',
      'object with large integer',
    ];
    for (const name of names) {
      const found = RAW_TEXT_CASES.find((entry) => entry.name === name);
      const rule = parseRuleText(cloudtrailRule(found?.detection ?? ''), 'case.yml')
        .rules[0] as DetectionRule;
      const record = parseJsonLossless(found?.raw ?? '') as Record<string, unknown>;
      expect(new RuleSet([rule]).match(cloudtrailEvent(record)), name).toHaveLength(1);
    }
  });
});
