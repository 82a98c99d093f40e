import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { type JsonRecordOptions, scanJsonRecords } from './json-records.ts';
import { MAX_RECORD_DEPTH } from './json-scanner.ts';
import type { RecordResult } from './types.ts';

function chunked(bytes: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return parts;
}

async function scan(
  input: string | Buffer | Buffer[],
  options: JsonRecordOptions = { recordKeys: ['Records'] },
): Promise<RecordResult[]> {
  const parts = Array.isArray(input) ? input : [Buffer.from(input)];
  const results: RecordResult[] = [];
  for await (const result of scanJsonRecords(Readable.from(parts), options)) results.push(result);
  return results;
}

function codes(results: RecordResult[]): string[] {
  return results.map((result) => (result.kind === 'record' ? 'record' : result.code));
}

describe('scanJsonRecords', () => {
  it('reads json lines with offsets and lines', async () => {
    const results = await scan('{"a":1}\n\n  {"b":"x\\"}"}\n');

    expect(results).toEqual([
      { kind: 'record', index: 0, offset: 0, line: 1, value: { a: 1 }, text: '{"a":1}' },
      { kind: 'record', index: 1, offset: 11, line: 3, value: { b: 'x"}' }, text: '{"b":"x\\"}"}' },
    ]);
  });

  it('counts top-level string lines as records', async () => {
    const results = await scan('{"a":1}\n"hello"\n"cut\n{"b":2}\n');

    expect(codes(results)).toEqual(['record', 'record', 'invalid_json', 'record']);
    expect(results[1]).toMatchObject({ kind: 'record', line: 2, value: 'hello' });
    expect(results[3]).toMatchObject({ kind: 'record', line: 4, value: { b: 2 } });
  });

  it('reads records under a key', async () => {
    const text = '{"x":{"Records":[9]},"Records":[{"a":1},\n {"b":2}],"n":"t"}';
    const results = await scan(text);

    expect(codes(results)).toEqual(['record', 'record']);
    expect(results[1]).toMatchObject({ offset: text.indexOf('{"b"'), line: 2, value: { b: 2 } });
  });

  it('reads a top-level array', async () => {
    const results = await scan('[{"a":1}, 2, "s"]');

    expect(results.map((result) => (result.kind === 'record' ? result.value : null))).toEqual([
      { a: 1 },
      2,
      's',
    ]);
  });

  it('resyncs after malformed lines', async () => {
    const results = await scan('{"a":1}\n{"b":\n{"c":"unterminated\n{"d":[1}\nhello\n{"e":2}\n');

    expect(codes(results)).toEqual([
      'record',
      'invalid_json',
      'invalid_json',
      'invalid_json',
      'invalid_json',
      'record',
    ]);
    expect(results[5]).toMatchObject({ line: 6, value: { e: 2 } });
    expect(results[1]).toMatchObject({ line: 2, sample: '{"b":' });
  });

  it('resyncs after a malformed first line', async () => {
    const results = await scan('{"a":1,,, garbage\n{"b":2}\n{"c":3}\n');

    expect(codes(results)).toEqual(['invalid_json', 'record', 'record']);
    expect(results[0]).toMatchObject({ line: 1 });
    expect(results[2]).toMatchObject({ line: 3, value: { c: 3 } });
  });

  it('reads an object whose member value starts on the next line', async () => {
    const results = await scan('{"a":\n{"b":1},\n"c":2}\n');

    expect(results).toMatchObject([{ kind: 'record', value: { a: { b: 1 }, c: 2 } }]);
  });

  it('skips a malformed array element', async () => {
    const results = await scan('{"Records":[{"a":1},{"b":},{"c":3}]}');

    expect(codes(results)).toEqual(['record', 'invalid_json', 'record']);
  });

  it('rejects the rest after a broken bracket', async () => {
    const results = await scan('[{"a":1},\n{"b":[}, {"c":3}]');

    expect(codes(results)).toEqual(['record', 'json_structure_broken']);
    expect(results[1]).toMatchObject({ offset: 10, line: 2 });
  });

  it('rejects an oversized record and continues', async () => {
    const big = `{"a":"${'x'.repeat(1000)}"}`;
    const results = await scan(`${big}\n{"b":1}\n`, { maxRecordBytes: 100 });

    expect(codes(results)).toEqual(['record_too_large', 'record']);
    expect(results[1]).toMatchObject({ offset: big.length + 1, line: 2 });
  });

  it('rejects a too deep record and continues', async () => {
    const deep = `{"requestParameters":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const results = await scan(`${deep}\n{"b":1}\n`);

    expect(codes(results)).toEqual(['record_too_deep', 'record']);
    expect(results[0]).toMatchObject({ offset: 0, line: 1, sample: deep.slice(0, 64) });
    expect(results[1]).toMatchObject({ offset: deep.length + 1, line: 2, value: { b: 1 } });
  });

  it('rejects a too deep array element', async () => {
    const deep = `{"a":${'['.repeat(MAX_RECORD_DEPTH)}${']'.repeat(MAX_RECORD_DEPTH)}}`;
    const text = `{"Records":[{"a":1},${deep},{"c":3}]}`;
    const whole = await scan(text);

    expect(codes(whole)).toEqual(['record', 'record_too_deep', 'record']);
    expect(whole[1]).toMatchObject({ offset: text.indexOf('{"a":['), sample: deep.slice(0, 64) });
    expect(await scan(chunked(Buffer.from(text), 7))).toEqual(whole);
  });

  it('reads a record at the maximum depth', async () => {
    const levels = MAX_RECORD_DEPTH - 1;
    const deep = `{"a":${'['.repeat(levels)}1${']'.repeat(levels)}}`;
    const results = await scan(`${deep}\n`);

    expect(codes(results)).toEqual(['record']);
    expect(results[0]).toMatchObject({ text: deep });
  });

  it('gives identical results in small chunks', async () => {
    const text =
      '{"Records":[{"a":"b\\\\"},{"c":[1,{"d":"\\""}]},{"bad":}]}\n{"e":1}\n[1,2]\nxx\n' +
      `{"big":"${'y'.repeat(300)}"}\n{"Rec":1}`;
    const whole = await scan(text, { recordKeys: ['Records'], maxRecordBytes: 200 });

    for (const size of [1, 2, 3, 5, 7]) {
      const parts = await scan(chunked(Buffer.from(text), size), {
        recordKeys: ['Records'],
        maxRecordBytes: 200,
      });
      expect(parts).toEqual(whole);
    }
    expect(codes(whole)).toEqual([
      'record',
      'record',
      'invalid_json',
      'record',
      'record',
      'record',
      'invalid_json',
      'record_too_large',
      'record',
    ]);
  });

  it('keeps lossy numbers in any chunking', async () => {
    const text =
      '{"Records":[{"id":12345678901234567890,"n":9007199254740991,"f":0.1234567890123456},' +
      '{"e":1.5e400,"s":"12345678901234567890","t":[true,false,null,-42]}]}';
    const values = (results: RecordResult[]) =>
      results.map((result) => (result.kind === 'record' ? result.value : result.code));
    const expected = [
      { id: '12345678901234567890', n: 9007199254740991, f: 0.1234567890123456 },
      { e: '1.5e400', s: '12345678901234567890', t: [true, false, null, -42] },
    ];

    expect(values(await scan(text))).toEqual(expected);
    for (const size of [1, 2, 3, 5, 7, 11, 16, 17]) {
      expect(values(await scan(chunked(Buffer.from(text), size)))).toEqual(expected);
    }
  });

  it('yields nothing for empty input', async () => {
    expect(await scan('')).toEqual([]);
    expect(await scan(' \n\n')).toEqual([]);
  });

  it('rejects binary garbage', async () => {
    const bytes = Buffer.alloc(100_000);
    let seed = 7;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = seed >> 16;
    }
    const results = await scan([bytes]);

    expect(results.length).toBeGreaterThan(0);
    expect(results.every((result) => result.kind === 'rejected')).toBe(true);
  });

  it('reports a truncated gzip stream', async () => {
    const gz = gzipSync(Buffer.from('{"a":1}\n{"b":2}\n'.repeat(1000)));
    const gunzip = Readable.from([gz.subarray(0, gz.length - 20)]).pipe(createGunzip());
    const results: RecordResult[] = [];
    for await (const result of scanJsonRecords(gunzip)) results.push(result);

    expect(results.at(-1)).toMatchObject({ kind: 'rejected', code: 'gzip_truncated' });
    expect(results.filter((result) => result.kind === 'record').length).toBeGreaterThan(1000);
  });

  it('keeps the code and message of a coded stream error', async () => {
    const message = 'logs.json.gz expands more than 200 times its size; inspect it by hand.';
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n{"b":');
      throw new CloudcaseError('archive_limit', message, EXIT.partial);
    }
    const results: RecordResult[] = [];
    for await (const result of scanJsonRecords(failing())) results.push(result);

    expect(codes(results)).toEqual(['record', 'archive_limit']);
    expect(results[1]).toMatchObject({ offset: 8, line: 2, reason: message, sample: '{"b":' });
  });

  it('hides the message of an uncoded stream error', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n');
      throw new Error('secret token AKIA0000');
    }
    const results: RecordResult[] = [];
    for await (const result of scanJsonRecords(failing())) results.push(result);

    expect(codes(results)).toEqual(['record', 'read_failed']);
    expect(results[1]).toMatchObject({
      reason: 'reading the input failed, so the rest was not read',
    });
  });

  it('reads a 50 MB single line quickly', async () => {
    const value = 'z'.repeat(50 * 1024 * 1024);
    const line = Buffer.from(`{"eventName":"x","big":"${value}"}\n{"next":1}\n`);
    const started = performance.now();
    const results = await scan(chunked(line, 65536));

    expect(codes(results)).toEqual(['record', 'record']);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
