import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { acquire } from './acquire.ts';
import { CASE_KEY_ENV, enableEncryption, RECORD_BYTES } from './case-cipher.ts';
import { openEvidence } from './open-evidence.ts';
import type { EvidenceItem, MemberResult } from './types.ts';
import { verifyCase } from './verify-case.ts';

const REAL_ZIP = path.resolve(
  import.meta.dirname,
  '../../../shared/data/logs/otrf-aws-ec2-proxy-s3-exfiltration/ec2_proxy_s3_exfiltration.zip',
);

const key = randomBytes(32);
let work: string;
let caseDir: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cloudcase-encrypt-'));
  caseDir = path.join(work, 'case');
  await fs.mkdir(caseDir);
  await enableEncryption(caseDir, key);
  process.env[CASE_KEY_ENV] = key.toString('hex');
});

afterEach(async () => {
  delete process.env[CASE_KEY_ENV];
  await fs.rm(work, { recursive: true, force: true });
});

async function store(name: string, bytes: Buffer): Promise<EvidenceItem> {
  const file = path.join(work, name);
  await fs.writeFile(file, bytes);
  for await (const result of acquire([file], caseDir, { logger: silentLogger(), analyst: 'ana' })) {
    if (result.kind === 'item') return result.item;
  }
  throw new Error(`${name} was not acquired`);
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readAll(item: EvidenceItem): Promise<MemberResult[]> {
  const results: MemberResult[] = [];
  for await (const result of openEvidence(caseDir, item)) results.push(result);
  return results;
}

async function readPlain(item: EvidenceItem): Promise<Buffer> {
  const [result] = await readAll(item);
  if (result?.kind !== 'stream') throw new Error(`no stream: ${JSON.stringify(result)}`);
  return collect(result.log.stream);
}

async function withChangedByte(item: EvidenceItem, offset: number): Promise<void> {
  const file = path.join(caseDir, item.storedPath);
  await fs.chmod(file, 0o644);
  const bytes = await fs.readFile(file);
  bytes[offset] = (bytes[offset] ?? 0) ^ 1;
  await fs.writeFile(file, bytes);
}

describe('encrypted evidence', () => {
  it('stores ciphertext and reads the original', async () => {
    const plain = Buffer.from(`${'{"eventName":"GetObject"}\n'.repeat(6000)}`);
    const item = await store('trail.json', plain);
    const stored = await fs.readFile(path.join(caseDir, item.storedPath));

    expect(stored.includes(Buffer.from('GetObject'))).toBe(false);
    expect(stored.length).toBeGreaterThan(plain.length);
    expect(item.size).toBe(plain.length);
    expect(await readPlain(item)).toEqual(plain);
    expect((await verifyCase(caseDir)).problems).toEqual([]);
  });

  it('reads whole-record and empty files', async () => {
    const whole = randomBytes(RECORD_BYTES * 2);
    const items = [await store('whole.bin', whole), await store('empty.log', Buffer.alloc(0))];

    expect(await readPlain(items[0]!)).toEqual(whole);
    expect(await readPlain(items[1]!)).toEqual(Buffer.alloc(0));
  });

  it('reads gzip and zip items', async () => {
    const text = Buffer.from('{"a":1}\n'.repeat(20_000));
    const gzip = await store('trail.json.gz', gzipSync(text));
    const zip = await store('archive.zip', await fs.readFile(REAL_ZIP));
    const members = await readAll(zip);
    const first = members[0];
    const firstBytes = first?.kind === 'stream' ? await collect(first.log.stream) : Buffer.alloc(0);

    expect(gzip.kind).toBe('gzip');
    expect(await readPlain(gzip)).toEqual(text);
    expect(members.every((member) => member.kind === 'stream')).toBe(true);
    expect(firstBytes.length).toBeGreaterThan(0);
    expect((await verifyCase(caseDir)).ok).toBe(true);
  });

  it('detects a changed ciphertext byte', async () => {
    const item = await store('trail.json', randomBytes(RECORD_BYTES + 100));
    await withChangedByte(item, RECORD_BYTES + 60);

    await expect(readPlain(item)).rejects.toMatchObject({ code: 'evidence_modified' });
    expect((await verifyCase(caseDir)).problems).toEqual([
      expect.objectContaining({ code: 'evidence_modified', sha256: item.sha256 }),
    ]);
  });

  it('detects a file cut at a record boundary', async () => {
    const item = await store('trail.json', randomBytes(RECORD_BYTES * 2 + 10));
    const file = path.join(caseDir, item.storedPath);
    await fs.chmod(file, 0o644);
    await fs.truncate(file, 40 + 2 * (RECORD_BYTES + 16));

    await expect(readPlain(item)).rejects.toMatchObject({ code: 'evidence_modified' });
  });

  it('cannot be read without the key', async () => {
    const item = await store('trail.json', Buffer.from('secret\n'));
    delete process.env[CASE_KEY_ENV];
    const fresh = { ...item };
    const otherCase = path.join(work, 'copy');
    await fs.cp(caseDir, otherCase, { recursive: true });
    caseDir = otherCase;

    const [result] = await readAll(fresh);
    const report = await verifyCase(caseDir);
    process.env[CASE_KEY_ENV] = randomBytes(32).toString('hex');
    const wrong = await verifyCase(path.join(work, 'copy'));

    expect(result).toMatchObject({ kind: 'error', code: 'case_key_missing' });
    expect(report.problems.map((problem) => problem.code)).toEqual(['case_key_missing']);
    expect(wrong.problems.map((problem) => problem.code)).toEqual(['case_key_wrong']);
  });
});
