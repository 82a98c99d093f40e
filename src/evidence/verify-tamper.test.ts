import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { acquire } from './acquire.ts';
import { appendCustody, appendCustodyEntries, custodyHash, SEAL_ACTION } from './custody.ts';
import { createKeyFile, SIGNING_KEY_ENV } from './signing-key.ts';
import type { EvidenceItem } from './types.ts';
import { verifyCase } from './verify-case.ts';

let work: string;
let caseDir: string;
let acquired: EvidenceItem[];

async function acquireFiles(names: string[]): Promise<EvidenceItem[]> {
  const items: EvidenceItem[] = [];
  const paths = names.map((name) => path.join(work, name));
  for (const [index, file] of paths.entries()) await fs.writeFile(file, `${names[index]}\n`);
  for await (const result of acquire(paths, caseDir, { logger: silentLogger(), analyst: 'ana' })) {
    if (result.kind === 'item') items.push(result.item);
  }
  return items;
}

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cloudcase-tamper-'));
  caseDir = path.join(work, 'case');
  acquired = await acquireFiles(['a.log', 'b.log', 'c.log']);
});

afterEach(async () => {
  delete process.env[SIGNING_KEY_ENV];
  await fs.rm(work, { recursive: true, force: true });
});

const caseFile = (name: string) => path.join(caseDir, name);

async function readLines(name: string): Promise<string[]> {
  return (await fs.readFile(caseFile(name), 'utf8')).split('\n').filter((line) => line !== '');
}

async function writeLines(name: string, lines: string[]): Promise<void> {
  await fs.writeFile(caseFile(name), `${lines.join('\n')}\n`);
}

async function codes(options = {}): Promise<string[]> {
  return (await verifyCase(caseDir, options)).problems.map((problem) => problem.code);
}

/** Rewrites one entry and recomputes its hash, as someone without the key would. */
function rehashed(line: string, change: (entry: Record<string, unknown>) => void): string {
  const entry = JSON.parse(line) as Record<string, unknown>;
  change(entry);
  entry.hash = custodyHash(entry);
  return JSON.stringify(entry);
}

describe('verify after tampering', () => {
  it('signs every entry and the head', async () => {
    const report = await verifyCase(caseDir);
    const entries = (await readLines('custody.jsonl')).map((line) => JSON.parse(line));

    expect(report.ok).toBe(true);
    expect(report.key_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(entries.every((entry) => typeof entry.sig === 'string')).toBe(true);
    expect(JSON.parse(await fs.readFile(caseFile('custody.head.json'), 'utf8')).seq).toBe(3);
  });

  it('detects a rehashed edited entry by its signature', async () => {
    const lines = await readLines('custody.jsonl');
    const last = lines.length - 1;
    lines[last] = rehashed(lines[last]!, (entry) => {
      entry.actor = 'eve';
    });
    await writeLines('custody.jsonl', lines);

    expect(await codes()).toEqual(['custody_signature', 'custody_head_mismatch']);
  });

  it('detects an appended unsigned entry', async () => {
    const lines = await readLines('custody.jsonl');
    const last = JSON.parse(lines.at(-1)!) as { seq: number; hash: string };
    const forged: Record<string, unknown> = {
      seq: last.seq + 1,
      time: new Date().toISOString(),
      actor: 'eve',
      action: 'note',
      sha256: null,
      details: {},
      prev_hash: last.hash,
    };
    forged.hash = custodyHash(forged);
    await writeLines('custody.jsonl', [...lines, JSON.stringify(forged)]);

    expect(await codes()).toEqual(['custody_unsigned', 'custody_head_behind']);
  });

  it('detects tail, manifest line and evidence removed together', async () => {
    await writeLines('custody.jsonl', (await readLines('custody.jsonl')).slice(0, -1));
    await writeLines('manifest.jsonl', (await readLines('manifest.jsonl')).slice(0, -1));
    await fs.rm(caseFile(acquired[2]!.storedPath));
    await fs.rmdir(path.dirname(caseFile(acquired[2]!.storedPath))).catch(() => undefined);

    const report = await verifyCase(caseDir);

    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'custody_truncated', seq: 3 }),
    ]);
  });

  it('detects a removed head file', async () => {
    await fs.rm(caseFile('custody.head.json'));

    expect(await codes()).toEqual(['custody_head_missing']);
  });

  it('detects a forged head', async () => {
    const head = JSON.parse(await fs.readFile(caseFile('custody.head.json'), 'utf8'));
    head.seq = 2;
    await fs.writeFile(caseFile('custody.head.json'), JSON.stringify(head));

    expect(await codes()).toEqual(['custody_head_signature']);
  });

  it('detects an edited manifest line', async () => {
    const lines = await readLines('manifest.jsonl');
    lines[1] = lines[1]!.replace('"acquired_by":"ana"', '"acquired_by":"eve"');
    await writeLines('manifest.jsonl', lines);

    const report = await verifyCase(caseDir);

    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'manifest_changed', sha256: acquired[1]!.sha256, line: 2 }),
    ]);
  });

  it('detects reordered manifest lines', async () => {
    const lines = await readLines('manifest.jsonl');
    await writeLines('manifest.jsonl', [lines[1]!, lines[0]!, lines[2]!]);

    const report = await verifyCase(caseDir);

    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'manifest_order', sha256: acquired[1]!.sha256, line: 1 }),
      expect.objectContaining({ code: 'manifest_order', sha256: acquired[0]!.sha256, line: 2 }),
    ]);
  });

  it('detects an added manifest line and file', async () => {
    const lines = await readLines('manifest.jsonl');
    const planted = JSON.parse(lines[0]!) as Record<string, unknown>;
    const sha256 = 'f'.repeat(64);
    Object.assign(planted, { sha256, stored_path: `evidence/ff/${sha256}` });
    await fs.mkdir(caseFile('evidence/ff'));
    await fs.writeFile(caseFile(`evidence/ff/${sha256}`), 'planted');
    await writeLines('manifest.jsonl', [...lines, JSON.stringify(planted)]);

    const report = await verifyCase(caseDir);

    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'evidence_modified', sha256 }),
      expect.objectContaining({ code: 'custody_missing_acquire', sha256 }),
    ]);
  });

  it('detects a replaced case key', async () => {
    const pinned = path.join(work, 'pinned.pub');
    await fs.copyFile(caseFile('custody.pub'), pinned);
    const other = path.join(work, 'other.pem');
    await createKeyFile(other);
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    const otherPublic = createPublicKey(createPrivateKey(await fs.readFile(other, 'utf8')));
    await fs.writeFile(
      caseFile('custody.pub'),
      otherPublic.export({ type: 'spki', format: 'pem' }).toString(),
    );

    expect(await codes({ publicKeyFile: pinned })).toEqual(['custody_key_unexpected']);
    expect(await codes()).toContain('custody_signature');
  });

  it('compares the head given', async () => {
    const { head_hash } = await verifyCase(caseDir);

    expect(await codes({ expectedHead: head_hash })).toEqual([]);
    expect(await codes({ expectedHead: '0'.repeat(64) })).toEqual(['custody_head_unexpected']);
  });
});

describe('custody signing key', () => {
  it('signs with an external key file', async () => {
    const external = path.join(work, 'outside', 'signing.pem');
    await createKeyFile(external);
    process.env[SIGNING_KEY_ENV] = external;
    caseDir = path.join(work, 'external-case');

    await acquireFiles(['d.log']);
    const report = await verifyCase(caseDir);
    const ownKey = await fs.stat(caseFile('keys/custody-signing.pem')).catch(() => null);

    expect(report.ok).toBe(true);
    expect(ownKey).toBeNull();
  });

  it('refuses another key for the case', async () => {
    const other = path.join(work, 'other.pem');
    await createKeyFile(other);

    await expect(
      appendCustody(caseDir, { actor: 'ana', action: 'note' }, { keyFile: other }),
    ).rejects.toMatchObject({ code: 'signing_key_mismatch' });
  });

  it('chains entries appended together', async () => {
    const notes = ['one', 'two', 'three'].map((text) => ({
      actor: 'ana',
      action: 'note',
      details: { text },
    }));
    const entries = await appendCustodyEntries(caseDir, notes);
    const lines = (await readLines('custody.jsonl')).map((line) => JSON.parse(line));

    expect(entries.map((entry) => entry.seq)).toEqual([4, 5, 6]);
    expect(lines.slice(3)).toEqual(entries);
    expect(entries[1]?.prev_hash).toBe(entries[0]?.hash);
    expect(JSON.parse(await fs.readFile(caseFile('custody.head.json'), 'utf8')).seq).toBe(6);
    expect((await verifyCase(caseDir)).ok).toBe(true);
  });

  it('refuses entries after the seal', async () => {
    await appendCustody(caseDir, { actor: 'ana', action: SEAL_ACTION });

    await expect(appendCustody(caseDir, { actor: 'ana', action: 'note' })).rejects.toMatchObject({
      code: 'case_sealed',
    });
    await expect(acquireFiles(['late.log'])).rejects.toMatchObject({ code: 'case_sealed' });
    expect((await verifyCase(caseDir)).sealed).toBe(true);
  });
});
