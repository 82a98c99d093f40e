import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudcaseError } from '../core/errors.ts';
import { silentLogger } from '../core/logger.ts';
import { acquire } from './acquire.ts';
import { appendCustody } from './custody.ts';
import type { EvidenceItem } from './types.ts';
import { verifyCase } from './verify-case.ts';

const REAL_ZIP = path.resolve(
  import.meta.dirname,
  '../../../shared/data/logs/otrf-aws-ec2-proxy-s3-exfiltration/ec2_proxy_s3_exfiltration.zip',
);

let work: string;
let caseDir: string;
let acquired: EvidenceItem[];

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cloudcase-verify-'));
  caseDir = path.join(work, 'case');
  for (const name of ['a.log', 'b.log', 'c.log']) {
    await fs.writeFile(path.join(work, name), `${name}\n`);
  }
  const paths = [REAL_ZIP, ...['a.log', 'b.log', 'c.log'].map((name) => path.join(work, name))];
  acquired = [];
  for await (const result of acquire(paths, caseDir, { logger: silentLogger(), analyst: 'ana' })) {
    if (result.kind === 'item') acquired.push(result.item);
  }
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const custodyFile = () => path.join(caseDir, 'custody.jsonl');

async function custodyLines(): Promise<string[]> {
  return (await fs.readFile(custodyFile(), 'utf8')).split('\n').filter((line) => line !== '');
}

async function writeCustody(lines: string[]): Promise<void> {
  await fs.writeFile(custodyFile(), `${lines.join('\n')}\n`);
}

async function codes(): Promise<string[]> {
  return (await verifyCase(caseDir)).problems.map((problem) => problem.code);
}

describe('verifyCase', () => {
  it('passes an untouched case', async () => {
    await appendCustody(caseDir, { actor: 'ana', action: 'note', details: { text: 'checked' } });

    const report = await verifyCase(caseDir);

    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.items_checked).toBe(4);
    expect(report.entries_checked).toBe(5);
    expect(report.head_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('detects modified evidence', async () => {
    const item = acquired[0]!;
    const stored = path.join(caseDir, item.storedPath);
    await fs.chmod(stored, 0o644);
    const bytes = await fs.readFile(stored);
    bytes[100] = (bytes[100] ?? 0) ^ 1;
    await fs.writeFile(stored, bytes);

    const report = await verifyCase(caseDir);

    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'evidence_modified', sha256: item.sha256 }),
    ]);
  });

  it('detects missing evidence', async () => {
    await fs.rm(path.join(caseDir, acquired[1]!.storedPath));

    expect(await codes()).toEqual(['evidence_missing']);
  });

  it('detects extra and partial files', async () => {
    await fs.writeFile(path.join(caseDir, 'evidence', 'planted.log'), 'x');
    await fs.writeFile(path.join(caseDir, 'evidence', '.partial', 'left-over'), 'x');

    const report = await verifyCase(caseDir);

    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'evidence_partial', path: 'evidence/.partial/left-over' }),
      expect.objectContaining({ code: 'evidence_extra', path: 'evidence/planted.log' }),
    ]);
  });

  it('detects an edited custody entry', async () => {
    const lines = await custodyLines();
    lines[1] = lines[1]!.replace('"actor":"ana"', '"actor":"eve"');
    await writeCustody(lines);

    const report = await verifyCase(caseDir);

    expect(report.problems).toEqual([expect.objectContaining({ code: 'custody_hash', seq: 2 })]);
  });

  it('detects a deleted custody entry', async () => {
    const lines = await custodyLines();
    lines.splice(1, 1);
    await writeCustody(lines);

    expect(await codes()).toEqual(['custody_seq', 'custody_prev_hash', 'custody_missing_acquire']);
  });

  it('detects a deleted last custody entry', async () => {
    await writeCustody((await custodyLines()).slice(0, -1));

    const report = await verifyCase(caseDir);

    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'custody_truncated', seq: 4 }),
      expect.objectContaining({ code: 'custody_missing_acquire', sha256: acquired[3]!.sha256 }),
    ]);
  });

  it('detects reordered custody entries', async () => {
    const lines = await custodyLines();
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    await writeCustody(lines);

    const found = await codes();

    expect(found).toContain('custody_seq');
    expect(found).toContain('custody_prev_hash');
    expect(found).not.toContain('custody_hash');
  });

  it('detects an unparsable custody line', async () => {
    const lines = await custodyLines();
    lines[0] = '{not json';
    await writeCustody(lines);

    const found = await codes();

    expect(found[0]).toBe('custody_invalid_line');
    expect(found).toContain('custody_missing_acquire');
  });

  it('detects manifest tampering', async () => {
    const manifest = path.join(caseDir, 'manifest.jsonl');
    const lines = (await fs.readFile(manifest, 'utf8')).split('\n').filter((line) => line !== '');
    await fs.writeFile(
      manifest,
      `${[lines[0], lines[0], 'garbage', ...lines.slice(1)].join('\n')}\n`,
    );

    expect(await codes()).toEqual(['manifest_duplicate', 'manifest_invalid_line']);
  });

  it('rejects a folder that is no case', async () => {
    await expect(verifyCase(path.join(work, 'nothing'))).rejects.toThrow(CloudcaseError);
  });
});

describe('appendCustody', () => {
  it('serializes concurrent appends', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendCustody(caseDir, { actor: 'ana', action: `n${i}` }),
      ),
    );

    const report = await verifyCase(caseDir);
    const seqs = (await custodyLines()).map((line) => (JSON.parse(line) as { seq: number }).seq);

    expect(report.ok).toBe(true);
    expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it('rejects chaining onto broken last line', async () => {
    await fs.appendFile(custodyFile(), '{"cut":\n');

    await expect(appendCustody(caseDir, { actor: 'ana', action: 'note' })).rejects.toMatchObject({
      code: 'custody_invalid',
    });
  });
});
