import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import { constants, crc32, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { CloudcaseError } from '../core/errors.ts';
import { silentLogger } from '../core/logger.ts';
import { scanJsonRecords } from '../sources/json-records.ts';
import type { RecordResult } from '../sources/types.ts';
import { acquire } from './acquire.ts';
import { openEvidence } from './open-evidence.ts';
import type { EvidenceItem, MemberResult, ReadLimits } from './types.ts';

const EXFIL = path.resolve(
  import.meta.dirname,
  '../../../shared/data/logs/otrf-aws-ec2-proxy-s3-exfiltration',
);
const REAL_ZIP = path.join(EXFIL, 'ec2_proxy_s3_exfiltration.zip');
const REAL_JSON = path.join(EXFIL, 'ec2_proxy_s3_exfiltration_2020-09-14011940.json');

let work: string;
let caseDir: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cloudcase-open-'));
  caseDir = path.join(work, 'case');
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function acquireOne(file: string): Promise<EvidenceItem> {
  for await (const result of acquire([file], caseDir, { logger: silentLogger(), analyst: 'ana' })) {
    if (result.kind === 'item') return result.item;
    throw new Error(`acquire failed: ${result.code}`);
  }
  throw new Error('acquire yielded nothing');
}

async function writeInput(name: string, bytes: Buffer): Promise<EvidenceItem> {
  const file = path.join(work, name);
  await fs.writeFile(file, bytes);
  return acquireOne(file);
}

async function members(item: EvidenceItem, limits?: Partial<ReadLimits>): Promise<MemberResult[]> {
  const results: MemberResult[] = [];
  for await (const result of openEvidence(caseDir, item, limits)) results.push(result);
  return results;
}

/**
 * Reads a stream to its end, returning what arrived and the error it ended with, if any. A
 * `pauseMs` wait after each chunk makes the consumer slower than the decompression.
 */
async function drain(
  stream: Readable,
  pauseMs = 0,
): Promise<{ data: Buffer; error: CloudcaseError | null }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      if (pauseMs > 0) await setTimeout(pauseMs);
    }
    return { data: Buffer.concat(chunks), error: null };
  } catch (error) {
    return { data: Buffer.concat(chunks), error: error as CloudcaseError };
  }
}

/** Builds a CloudTrail-shaped delivery of `count` records and its gzip cut in half. */
function truncatedDelivery(count: number): { text: string; cut: Buffer } {
  const records = Array.from({ length: count }, (_, i) => ({
    eventTime: '2024-05-13T01:24:00Z',
    eventName: 'GetObject',
    eventID: `event-${i}`,
    requestParameters: { bucketName: 'logs', key: `k/${(i * 7919).toString(36).repeat(20)}` },
  }));
  const text = JSON.stringify({ Records: records });
  const full = gzipSync(text);

  return { text, cut: full.subarray(0, Math.floor(full.length / 2)) };
}

/** Decompresses what zlib can recover from a truncated gzip. */
function recoverable(cut: Buffer): Buffer {
  return gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH });
}

async function onlyStream(item: EvidenceItem, limits?: Partial<ReadLimits>): Promise<Readable> {
  const [result] = await members(item, limits);
  if (result?.kind !== 'stream') throw new Error(`expected a stream, got ${result?.kind}`);
  return result.log.stream;
}

async function buildZip(entries: { name: string; data: Buffer; compress?: boolean }[]) {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if (entry.name.endsWith('/')) {
      zip.addEmptyDirectory(entry.name.slice(0, -1));
      continue;
    }
    zip.addBuffer(entry.data, entry.name, { compress: entry.compress ?? true });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Renames an entry in built zip bytes, in its local and central headers alike. */
function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('names must have the same length');
  const patched = Buffer.from(zip);
  let at = patched.indexOf(from);
  let count = 0;
  while (at !== -1) {
    patched.write(to, at, 'latin1');
    count += 1;
    at = patched.indexOf(from, at + 1);
  }
  if (count !== 2) throw new Error(`expected the name twice, found it ${count} times`);
  return patched;
}

async function modifyStored(item: EvidenceItem, offset: number): Promise<void> {
  const stored = path.join(caseDir, item.storedPath);
  await fs.chmod(stored, 0o644);
  const bytes = await fs.readFile(stored);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0xff;
  await fs.writeFile(stored, bytes);
}

describe('openEvidence', () => {
  it('reads the real zip member', async () => {
    const item = await acquireOne(REAL_ZIP);
    const results = await members(item);
    const [first] = results;

    expect(results).toHaveLength(1);
    expect(first?.kind).toBe('stream');
    if (first?.kind !== 'stream') return;
    expect(first.log.member).toBe('ec2_proxy_s3_exfiltration_2020-09-14011940.json');
    expect(first.log.displayName).toBe(
      `${REAL_ZIP}!ec2_proxy_s3_exfiltration_2020-09-14011940.json`,
    );
    const { data, error } = await drain(first.log.stream);
    expect(error).toBeNull();
    expect(data).toEqual(await fs.readFile(REAL_JSON));
  });

  it('reads a plain file', async () => {
    const item = await acquireOne(REAL_JSON);
    const [result] = await members(item);

    expect(result?.kind).toBe('stream');
    if (result?.kind !== 'stream') return;
    expect(result.log.member).toBeNull();
    expect(result.log.displayName).toBe(REAL_JSON);
    const { data, error } = await drain(await onlyStream(item));
    expect(error).toBeNull();
    expect(data).toEqual(await fs.readFile(REAL_JSON));
  });

  it('reads multi-member gzip', async () => {
    const bytes = Buffer.concat([gzipSync('first\n'), gzipSync('second\n')]);
    const item = await writeInput('two.gz', bytes);

    const { data, error } = await drain(await onlyStream(item));

    expect(item.kind).toBe('gzip');
    expect(error).toBeNull();
    expect(data.toString()).toBe('first\nsecond\n');
  });

  // The stage must end after the padding instead of waiting for output that never comes.
  it.each([1, 512])(
    'reads gzip with %i bytes of zero padding',
    { timeout: 10_000 },
    async (pad) => {
      const bytes = Buffer.concat([gzipSync('first\n'), gzipSync('second\n'), Buffer.alloc(pad)]);
      const item = await writeInput(`padded-${pad}.gz`, bytes);

      const { data, error } = await drain(await onlyStream(item));

      expect(error).toBeNull();
      expect(data.toString()).toBe('first\nsecond\n');
    },
  );

  it('delivers the data before trailing garbage', { timeout: 10_000 }, async () => {
    const member = gzipSync('first\nsecond\n');
    const item = await writeInput('garbage-tail.gz', Buffer.concat([member, Buffer.alloc(512, 1)]));

    const { data, error } = await drain(await onlyStream(item));

    expect(data.toString()).toBe('first\nsecond\n');
    expect(error?.code).toBe('gzip_invalid');
    expect(error?.message).toContain(`at byte ${member.length} of the gzip data`);
  });

  it('rejects garbage after zero padding', { timeout: 10_000 }, async () => {
    const member = gzipSync('first\n');
    const bytes = Buffer.concat([member, Buffer.alloc(4), Buffer.from('junk')]);
    const item = await writeInput('padded-garbage.gz', bytes);

    const { data, error } = await drain(await onlyStream(item));

    expect(data.toString()).toBe('first\n');
    expect(error?.code).toBe('gzip_invalid');
    expect(error?.message).toContain(`at byte ${member.length + 4} of the gzip data`);
  });

  it('stores the records before trailing garbage', { timeout: 10_000 }, async () => {
    const records = Array.from({ length: 5 }, (_, i) => ({ eventID: `event-${i}` }));
    const member = gzipSync(JSON.stringify({ Records: records }));
    const item = await writeInput(
      'records-tail.json.gz',
      Buffer.concat([member, Buffer.from([1])]),
    );

    const results: RecordResult[] = [];
    for await (const result of scanJsonRecords(await onlyStream(item), {
      recordKeys: ['Records'],
    })) {
      results.push(result);
    }

    expect(results.filter((result) => result.kind === 'record').length).toBe(5);
    expect(results.at(-1)).toMatchObject({ kind: 'rejected', code: 'gzip_invalid' });
    expect(results.length).toBe(6);
  });

  it('reads gzip header optional fields', async () => {
    const member = gzipSync('named\n');
    const extra = Buffer.from([0x41, 0x42, 0x02, 0x00, 0x07, 0x08]);
    const head = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 0x08, 0x1e]),
      member.subarray(4, 10),
      Buffer.from([extra.length, 0]),
      extra,
      Buffer.from('name.log\0comment\0', 'latin1'),
    ]);
    const headerCrc = Buffer.alloc(2);
    headerCrc.writeUInt16LE(crc32(head) & 0xffff);
    const bytes = Buffer.concat([head, headerCrc, member.subarray(10)]);
    const item = await writeInput('fields.gz', bytes);

    const { data, error } = await drain(await onlyStream(item));

    expect(gunzipSync(bytes).toString()).toBe('named\n');
    expect(error).toBeNull();
    expect(data.toString()).toBe('named\n');
  });

  it('rejects a gzip trailer CRC mismatch', async () => {
    const member = gzipSync('checked\n');
    const crcAt = member.length - 8;
    member.writeUInt8(member.readUInt8(crcAt) ^ 0xff, crcAt);
    const item = await writeInput('bad-crc.gz', member);

    const { error } = await drain(await onlyStream(item));

    expect(error?.code).toBe('gzip_invalid');
  });

  it('rejects data that is not gzip', async () => {
    const item = await writeInput(
      'not-really.gz',
      Buffer.concat([Buffer.from([0x1f, 0x8b, 0x07]), Buffer.alloc(40, 1)]),
    );

    const { data, error } = await drain(await onlyStream(item));

    expect(item.kind).toBe('gzip');
    expect(data.length).toBe(0);
    expect(error?.code).toBe('gzip_invalid');
  });

  it('errors on truncated gzip after partial data', async () => {
    const text = Array.from({ length: 20000 }, (_, i) => `line ${i * 7919}\n`).join('');
    const full = gzipSync(text);
    const item = await writeInput('cut.gz', full.subarray(0, Math.floor(full.length / 2)));

    const { data, error } = await drain(await onlyStream(item));

    expect(error).toBeInstanceOf(CloudcaseError);
    expect(error?.code).toBe('gzip_truncated');
    expect(data.length).toBeGreaterThan(0);
    expect(text.startsWith(data.toString())).toBe(true);
  });

  it('delivers all of a small truncated gzip', async () => {
    const { text, cut } = truncatedDelivery(200);
    const item = await writeInput('small-cut.json.gz', cut);
    const stream = await onlyStream(item);
    // A consumer that starts late, as one does while the store is busy, must still get the data.
    await setTimeout(50);

    const { data, error } = await drain(stream);

    expect(error?.code).toBe('gzip_truncated');
    expect(data.length).toBe(recoverable(cut).length);
    expect(text.startsWith(data.toString())).toBe(true);
  });

  it('delivers all of a large truncated gzip', async () => {
    const { text, cut } = truncatedDelivery(20_000);
    const item = await writeInput('large-cut.json.gz', cut);
    const stream = await onlyStream(item);
    await setTimeout(50);

    const { data, error } = await drain(stream, 5);

    expect(error?.code).toBe('gzip_truncated');
    expect(data.length).toBe(recoverable(cut).length);
    expect(text.startsWith(data.toString())).toBe(true);
  });

  it('stores the records before a gzip cut', async () => {
    const { text, cut } = truncatedDelivery(200);
    const item = await writeInput('records-cut.json.gz', cut);
    const stream = await onlyStream(item);
    await setTimeout(50);

    const results: RecordResult[] = [];
    for await (const result of scanJsonRecords(stream, { recordKeys: ['Records'] })) {
      results.push(result);
    }
    const prefix = recoverable(cut).length;
    const complete = JSON.parse(text).Records.filter(
      (record: unknown) =>
        text.indexOf(JSON.stringify(record)) + JSON.stringify(record).length <= prefix,
    ).length;

    expect(complete).toBeGreaterThan(50);
    expect(results.filter((result) => result.kind === 'record').length).toBe(complete);
    expect(results.at(-1)).toMatchObject({ kind: 'rejected', code: 'gzip_truncated' });
    expect(results.length).toBe(complete + 1);
  });

  it('errors on modified plain evidence', async () => {
    const item = await writeInput('plain.log', Buffer.from('original content\n'));
    await modifyStored(item, 3);

    const { error } = await drain(await onlyStream(item));

    expect(error?.code).toBe('evidence_modified');
  });

  it('errors on modified gzip evidence', async () => {
    const item = await writeInput('mod.gz', gzipSync('hello\n'));
    // The gzip header's mtime field: the data still decompresses, only the hash changes.
    await modifyStored(item, 4);

    const { error } = await drain(await onlyStream(item));

    expect(error?.code).toBe('evidence_modified');
  });

  it('opens no members of a modified zip', async () => {
    const item = await writeInput(
      'mod.zip',
      await buildZip([{ name: 'a.log', data: Buffer.from('a\n') }]),
    );
    await modifyStored(item, 10);

    const results = await members(item);

    expect(results).toEqual([
      expect.objectContaining({ kind: 'error', member: null, code: 'evidence_modified' }),
    ]);
  });

  it('reports a missing stored copy', async () => {
    const item = await writeInput('gone.log', Buffer.from('gone\n'));
    await fs.rm(path.join(caseDir, item.storedPath));

    const results = await members(item);

    expect(results).toEqual([expect.objectContaining({ kind: 'error', code: 'evidence_missing' })]);
  });

  it('rejects escaping zip names and goes on', async () => {
    const built = await buildZip([
      { name: 'aa/evil', data: Buffer.from('evil\n') },
      { name: 'dir/', data: Buffer.alloc(0) },
      { name: 'good.log', data: Buffer.from('good\n') },
    ]);
    const item = await writeInput('escape.zip', renameEntry(built, 'aa/evil', '../evil'));

    const results = await members(item);

    expect(results.map((result) => result.kind)).toEqual(['error', 'stream']);
    expect(results[0]).toMatchObject({ member: '../evil', code: 'zip_path_escape' });
    const good = results[1];
    if (good?.kind !== 'stream') return;
    expect(good.log.member).toBe('good.log');
    expect((await drain(good.log.stream)).data.toString()).toBe('good\n');
  });

  it('rejects absolute and drive-letter zip names', async () => {
    const built = await buildZip([
      { name: 'xetc/passwd', data: Buffer.from('x\n') },
      { name: 'xx/boot.ini', data: Buffer.from('y\n') },
    ]);
    const patched = renameEntry(
      renameEntry(built, 'xetc/passwd', '/etc/passwd'),
      'xx/boot',
      'C:/boot',
    );
    const item = await writeInput('absolute.zip', patched);

    const codes = (await members(item)).map((result) => result.kind === 'error' && result.code);

    expect(codes).toEqual(['zip_path_escape', 'zip_path_escape']);
  });

  it('gunzips gzip zip entries', async () => {
    const item = await writeInput(
      'inner-gz.zip',
      await buildZip([{ name: 'trail.json.gz', data: gzipSync('{"a":1}\n'), compress: false }]),
    );

    const stream = await onlyStream(item);

    expect((await drain(stream)).data.toString()).toBe('{"a":1}\n');
  });

  it('gunzips zero-padded gzip zip entries', { timeout: 10_000 }, async () => {
    const padded = Buffer.concat([gzipSync('{"a":1}\n'), Buffer.alloc(512)]);
    const item = await writeInput(
      'padded-gz.zip',
      await buildZip([{ name: 'trail.json.gz', data: padded, compress: false }]),
    );

    const { data, error } = await drain(await onlyStream(item));

    expect(error).toBeNull();
    expect(data.toString()).toBe('{"a":1}\n');
  });

  it('reports nested zip entries', async () => {
    const inner = await buildZip([{ name: 'x.log', data: Buffer.from('x\n') }]);
    const item = await writeInput(
      'outer.zip',
      await buildZip([{ name: 'inner.zip', data: inner }]),
    );

    const results = await members(item);

    expect(results).toEqual([
      expect.objectContaining({
        kind: 'error',
        member: 'inner.zip',
        code: 'nested_archive_unsupported',
      }),
    ]);
  });

  it('reports an entry that repeats the name of an earlier one', async () => {
    const item = await writeInput(
      'repeated.zip',
      await buildZip([
        { name: 'trail.json', data: Buffer.from('{"a":1}\n') },
        { name: 'trail.json', data: Buffer.from('{"a":2}\n') },
      ]),
    );

    const results = await members(item);

    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ kind: 'stream', log: { member: 'trail.json' } });
    expect(results[1]).toMatchObject({
      kind: 'error',
      member: 'trail.json',
      code: 'zip_duplicate_name',
    });
  });

  it('stops a high-ratio zip entry', async () => {
    const item = await writeInput(
      'bomb.zip',
      await buildZip([{ name: 'zeros.log', data: Buffer.alloc(4 * 1024 * 1024) }]),
    );

    const limited = await drain(
      await onlyStream(item, { maxRatio: 50, ratioGraceBytes: 64 * 1024 }),
    );
    const unlimited = await drain(await onlyStream(item, { maxRatio: 100_000 }));

    expect(limited.error?.code).toBe('archive_limit');
    expect(limited.data.length).toBeLessThan(4 * 1024 * 1024);
    expect(unlimited.error).toBeNull();
    expect(unlimited.data.length).toBe(4 * 1024 * 1024);
  });

  it('stops a high-ratio gzip', async () => {
    const item = await writeInput('bomb.gz', gzipSync(Buffer.alloc(4 * 1024 * 1024)));

    const { error } = await drain(await onlyStream(item));

    expect(error?.code).toBe('archive_limit');
  });

  it('caps expanded bytes per archive', async () => {
    const data = Buffer.from('x'.repeat(1000));
    const item = await writeInput(
      'many.zip',
      await buildZip([
        { name: 'a.log', data },
        { name: 'b.log', data },
      ]),
    );

    const results = await members(item, { maxExpandedBytes: 1500 });
    const drained = [];
    for (const result of results) {
      if (result.kind === 'stream') drained.push(await drain(result.log.stream));
    }

    expect(drained[0]?.error).toBeNull();
    expect(drained[1]?.error?.code).toBe('archive_limit');
  });

  it('closes the file when a stream is destroyed', async () => {
    const item = await acquireOne(REAL_JSON);
    const stream = await onlyStream(item);

    const closed = new Promise((resolve) => stream.once('close', resolve));
    stream.destroy();

    await expect(closed).resolves.toBeUndefined();
  });
});
