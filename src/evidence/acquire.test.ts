import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { acquire } from './acquire.ts';
import type { AcquireResult, EvidenceItem } from './types.ts';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data/logs');
const EXFIL = path.join(DATA, 'otrf-aws-ec2-proxy-s3-exfiltration');
const REAL_ZIP = path.join(EXFIL, 'ec2_proxy_s3_exfiltration.zip');
const REAL_JSON = path.join(EXFIL, 'ec2_proxy_s3_exfiltration_2020-09-14011940.json');

let work: string;
let caseDir: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cloudcase-acquire-'));
  caseDir = path.join(work, 'case');
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function run(paths: string[]): Promise<AcquireResult[]> {
  const results: AcquireResult[] = [];
  for await (const result of acquire(paths, caseDir, { logger: silentLogger(), analyst: 'ana' })) {
    results.push(result);
  }
  return results;
}

function items(results: AcquireResult[]): EvidenceItem[] {
  return results.flatMap((result) => (result.kind === 'item' ? [result.item] : []));
}

async function lines(file: string): Promise<Record<string, unknown>[]> {
  const text = await fs.readFile(path.join(caseDir, file), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('acquire', () => {
  it('stores real zip and json', async () => {
    const before = await fs.readFile(REAL_ZIP);
    const results = await run([REAL_ZIP, REAL_JSON]);
    const [zip, json] = items(results);

    expect(results).toHaveLength(2);
    expect(zip?.kind).toBe('zip');
    expect(zip?.sha256).toBe(sha256(before));
    expect(zip?.size).toBe(before.length);
    expect(zip?.originalPath).toBe(REAL_ZIP);
    expect(zip?.storedPath).toBe(`evidence/${zip?.sha256.slice(0, 2)}/${zip?.sha256}`);
    expect(zip?.isNew).toBe(true);
    expect(json?.kind).toBe('plain');

    const stored = path.join(caseDir, zip?.storedPath ?? '');
    expect(await fs.readFile(stored)).toEqual(before);
    expect((await fs.stat(stored)).mode & 0o777).toBe(0o444);
    expect(await fs.readFile(REAL_ZIP)).toEqual(before);
  });

  it('writes manifest and custody lines', async () => {
    const [zip] = items(await run([REAL_ZIP]));
    const [manifest] = await lines('manifest.jsonl');
    const [custody] = await lines('custody.jsonl');

    expect(manifest).toMatchObject({
      sha256: zip?.sha256,
      size: zip?.size,
      kind: 'zip',
      original_path: REAL_ZIP,
      stored_path: zip?.storedPath,
      acquired_at: zip?.acquiredAt,
      acquired_by: 'ana',
      host: os.hostname(),
    });
    expect(custody).toMatchObject({
      seq: 1,
      actor: 'ana',
      action: 'acquire',
      sha256: zip?.sha256,
      prev_hash: '0'.repeat(64),
    });
    expect(custody?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('walks nested folders in sorted order', async () => {
    const input = path.join(work, 'input');
    await fs.mkdir(path.join(input, 'b', 'deep', 'deeper'), { recursive: true });
    await fs.mkdir(path.join(input, 'a'), { recursive: true });
    await fs.writeFile(path.join(input, 'b', 'deep', 'deeper', 'z.log'), 'z\n');
    await fs.writeFile(path.join(input, 'b', 'c.log'), 'c\n');
    await fs.writeFile(path.join(input, 'a', 'x.log'), 'x\n');
    await fs.writeFile(path.join(input, 'B.log'), 'upper\n');

    const found = items(await run([input])).map((item) => path.relative(input, item.originalPath));

    expect(found).toEqual(['B.log', 'a/x.log', 'b/c.log', 'b/deep/deeper/z.log']);
  });

  it('adds nothing when re-adding the same content', async () => {
    const input = path.join(work, 'input');
    await fs.mkdir(input);
    await fs.writeFile(path.join(input, 'one.log'), 'same\n');
    await fs.writeFile(path.join(input, 'two.log'), 'same\n');

    const first = items(await run([input]));
    const manifest = await fs.readFile(path.join(caseDir, 'manifest.jsonl'), 'utf8');
    const custody = await fs.readFile(path.join(caseDir, 'custody.jsonl'), 'utf8');
    const second = items(await run([input]));

    expect(first.map((item) => item.isNew)).toEqual([true, false]);
    expect(second.map((item) => item.isNew)).toEqual([false, false]);
    expect(second[0]?.acquiredAt).toBe(first[0]?.acquiredAt);
    expect(await fs.readFile(path.join(caseDir, 'manifest.jsonl'), 'utf8')).toBe(manifest);
    expect(await fs.readFile(path.join(caseDir, 'custody.jsonl'), 'utf8')).toBe(custody);
    expect(await fs.readdir(path.join(caseDir, 'evidence', '.partial'))).toEqual([]);
  });

  it('detects kind by magic bytes', async () => {
    const disguised = path.join(work, 'looks-plain.txt');
    await fs.writeFile(disguised, Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
    const named = path.join(work, 'named.gz');
    await fs.writeFile(named, 'not compressed\n');

    const [gzip, plain] = items(await run([disguised, named]));

    expect(gzip?.kind).toBe('gzip');
    expect(plain?.kind).toBe('plain');
  });

  it('reports unreadable paths and goes on', async () => {
    const input = path.join(work, 'input');
    await fs.mkdir(path.join(input, 'real-dir'), { recursive: true });
    await fs.writeFile(path.join(input, 'ok.log'), 'ok\n');
    await fs.symlink(path.join(work, 'nowhere'), path.join(input, 'dangling'));
    await fs.symlink(path.join(input, 'real-dir'), path.join(input, 'linked-dir'));
    execFileSync('mkfifo', [path.join(input, 'pipe')]);

    const results = await run([path.join(work, 'missing.log'), input]);
    const codes = results.map((result) =>
      result.kind === 'error' ? `${path.basename(result.path)}:${result.code}` : 'item',
    );

    expect(codes).toEqual([
      'missing.log:not_found',
      'dangling:not_found',
      'linked-dir:symlinked_directory',
      'item',
      'pipe:not_regular_file',
    ]);
  });

  it('follows symlinked files inside the input', async () => {
    const input = path.join(work, 'input');
    await fs.mkdir(path.join(input, 'data'), { recursive: true });
    const target = path.join(input, 'data', 'target.log');
    await fs.writeFile(target, 'target\n');
    await fs.symlink(target, path.join(input, 'link.log'));

    const results = await run([input]);
    const [entry] = await lines('manifest.jsonl');

    expect(results.map((result) => result.kind)).toEqual(['item', 'item']);
    expect(items(results)[1]?.originalPath).toBe(path.join(input, 'link.log'));
    expect(items(results)[1]?.size).toBe(7);
    expect(entry?.original_path).toBe(target);
    expect(entry?.resolved_path).toBeUndefined();
  });

  it('records the target of a symlinked file', async () => {
    const input = path.join(work, 'input');
    await fs.mkdir(path.join(input, 'data'), { recursive: true });
    const target = path.join(input, 'data', 'target.log');
    await fs.writeFile(target, 'target\n');
    await fs.symlink('data/target.log', path.join(input, 'a-link.log'));

    await run([input]);
    const [entry] = await lines('manifest.jsonl');
    const [custody] = await lines('custody.jsonl');

    expect(entry?.original_path).toBe(path.join(input, 'a-link.log'));
    expect(entry?.resolved_path).toBe(await fs.realpath(target));
    const details = custody?.details as Record<string, unknown> | undefined;
    expect(details?.resolved_path).toBe(await fs.realpath(target));
  });

  it('rejects symlinks that leave the input folder', async () => {
    const outside = path.join(work, 'secret.log');
    await fs.writeFile(outside, 'secret\n');
    const input = path.join(work, 'input');
    await fs.mkdir(input);
    await fs.symlink(outside, path.join(input, 'passwd.json'));
    await fs.symlink('../secret.log', path.join(input, 'relative.json'));
    await fs.writeFile(path.join(input, 'z.log'), 'z\n');

    const results = await run([input]);
    const errors = results.flatMap((result) => (result.kind === 'error' ? [result] : []));

    expect(results.map((result) => result.kind)).toEqual(['error', 'error', 'item']);
    expect(errors.map((error) => error.code)).toEqual([
      'symlink_outside_input',
      'symlink_outside_input',
    ]);
    expect(errors[0]?.path).toBe(path.join(input, 'passwd.json'));
    expect(errors[0]?.reason).toContain('give the target path');
    expect(await lines('manifest.jsonl')).toHaveLength(1);
  });

  it('follows a symlink given directly', async () => {
    const outside = path.join(work, 'secret.log');
    await fs.writeFile(outside, 'secret\n');
    const link = path.join(work, 'given.log');
    await fs.symlink(outside, link);

    const [item] = items(await run([link]));
    const [entry] = await lines('manifest.jsonl');

    expect(item?.originalPath).toBe(link);
    expect(item?.size).toBe(7);
    expect(entry?.original_path).toBe(link);
    expect(entry?.resolved_path).toBe(await fs.realpath(outside));
  });

  it('skips the case folder inside an input', async () => {
    await fs.writeFile(path.join(work, 'a.log'), 'a\n');
    await run([path.join(work, 'a.log')]);

    const second = await run([work]);

    expect(second.map((result) => result.kind)).toEqual(['item']);
  });

  it('leaves input files byte-identical', async () => {
    const input = path.join(work, 'input.log');
    const bytes = Buffer.from('{"eventName":"GetObject"}\n');
    await fs.writeFile(input, bytes);
    const before = await fs.stat(input);

    await run([input]);
    const after = await fs.stat(input);

    expect(await fs.readFile(input)).toEqual(bytes);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.mode).toBe(before.mode);
  });

  it('records a folder of many files in walk order', async () => {
    // More files than one batch of records. Every tenth repeats the content of the one before,
    // and a link that leaves the folder sits in the middle.
    const folder = path.join(work, 'many');
    await fs.mkdir(folder);
    const names = Array.from({ length: 150 }, (_, i) => `f${String(i).padStart(3, '0')}.log`);
    for (const [i, name] of names.entries()) {
      await fs.writeFile(path.join(folder, name), `line ${i % 10 === 9 ? i - 1 : i}\n`);
    }
    await fs.symlink(path.join(work, 'missing'), path.join(folder, 'f071a.log'));

    const results = await run([folder]);

    const errors = results.flatMap((result, index) => (result.kind === 'item' ? [] : [index]));
    expect(errors).toEqual([72]);
    const found = items(results);
    expect(found.map((item) => path.basename(item.originalPath))).toEqual(names);
    expect(found.filter((item) => !item.isNew)).toHaveLength(15);
    const manifest = await lines('manifest.jsonl');
    expect(manifest.map((entry) => entry.sha256)).toEqual(
      found.filter((item) => item.isNew).map((item) => item.sha256),
    );
    const custody = (await lines('custody.jsonl')).filter((entry) => entry.action === 'acquire');
    expect(custody.map((entry) => entry.sha256)).toEqual(manifest.map((entry) => entry.sha256));
    expect(custody.map((entry) => entry.seq)).toEqual(custody.map((_, i) => i + 1));
  });

  it('chains custody entries', async () => {
    await fs.writeFile(path.join(work, 'a.log'), 'a\n');
    await fs.writeFile(path.join(work, 'b.log'), 'b\n');

    await run([path.join(work, 'a.log'), path.join(work, 'b.log')]);
    const [first, second] = await lines('custody.jsonl');

    expect(second?.seq).toBe(2);
    expect(second?.prev_hash).toBe(first?.hash);
  });

  it('resumes after a missing custody append', async () => {
    await fs.writeFile(path.join(work, 'a.log'), 'a\n');
    await run([path.join(work, 'a.log')]);
    await fs.rm(path.join(caseDir, 'custody.jsonl'));

    const [item] = items(await run([path.join(work, 'a.log')]));

    expect(item?.isNew).toBe(false);
    expect(await lines('manifest.jsonl')).toHaveLength(1);
    expect(await lines('custody.jsonl')).toHaveLength(1);
  });

  it('restores a deleted stored copy', async () => {
    await fs.writeFile(path.join(work, 'a.log'), 'a\n');
    const [first] = items(await run([path.join(work, 'a.log')]));
    await fs.rm(path.join(caseDir, first?.storedPath ?? ''));

    await run([path.join(work, 'a.log')]);

    expect(await fs.readFile(path.join(caseDir, first?.storedPath ?? ''), 'utf8')).toBe('a\n');
  });

  it('removes copies left by an interrupted run', async () => {
    await fs.writeFile(path.join(work, 'a.log'), 'a\n');
    await run([path.join(work, 'a.log')]);
    const leftover = path.join(caseDir, 'evidence', '.partial', 'interrupted-copy');
    await fs.writeFile(leftover, 'half');

    await run([path.join(work, 'a.log')]);

    await expect(fs.stat(leftover)).rejects.toThrow();
  });
});
