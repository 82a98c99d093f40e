import { chmod, cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/logger.ts';
import { generateScenario } from '../src/demo/index.ts';
import { acquire, custodyHash, verifyCase } from '../src/evidence/index.ts';
import { tempDir } from './support/cli.ts';

let work: string;
let demoCase: string;

beforeAll(async () => {
  work = await tempDir('cloudcase-demo-verify-');
  const logs = path.join(work, 'logs');
  demoCase = path.join(work, 'demo-case');
  // One day of the scenario, with the intrusion in its night, keeps the number of files small.
  await generateScenario(logs, { scale: 0.05, days: 1 });
  // The ledger and manifest verify checks are those acquire writes for investigate; parsing and
  // storing the events as well would only make the test slower.
  for await (const result of acquire([logs], demoCase, {
    logger: silentLogger(),
    analyst: 'ana',
  })) {
    if (result.kind === 'error') throw new Error(`${result.path} was not acquired: ${result.code}`);
  }
}, 120_000);

/** Copies the demo case afresh for one kind of tampering. */
async function copyCase(name: string): Promise<string> {
  const copy = path.join(work, name);
  await cp(demoCase, copy, { recursive: true });
  return copy;
}

async function lines(caseDir: string, file: string): Promise<string[]> {
  return (await readFile(path.join(caseDir, file), 'utf8')).split('\n').filter(Boolean);
}

async function rewrite(caseDir: string, file: string, content: string[]): Promise<void> {
  await writeFile(path.join(caseDir, file), `${content.join('\n')}\n`);
}

async function storedFiles(caseDir: string): Promise<string[]> {
  const manifest = await lines(caseDir, 'manifest.jsonl');
  return manifest.map((line) => (JSON.parse(line) as { stored_path: string }).stored_path);
}

async function codes(caseDir: string): Promise<string[]> {
  return (await verifyCase(caseDir)).problems.map((problem) => problem.code);
}

const tamperings: [string, (caseDir: string) => Promise<void>, string][] = [
  [
    'a modified item',
    async (caseDir) => {
      const file = path.join(caseDir, (await storedFiles(caseDir))[0]!);
      await chmod(file, 0o644);
      const bytes = await readFile(file);
      bytes[10] = (bytes[10] ?? 0) ^ 1;
      await writeFile(file, bytes);
    },
    'evidence_modified',
  ],
  [
    'a deleted item',
    async (caseDir) => rm(path.join(caseDir, (await storedFiles(caseDir))[1]!)),
    'evidence_missing',
  ],
  [
    'an added item',
    async (caseDir) => {
      const folder = path.join(caseDir, 'evidence');
      const [first] = (await readdir(folder)).filter((name) => name !== '.partial');
      await writeFile(path.join(folder, first!, 'planted.json.gz'), 'planted');
    },
    'evidence_extra',
  ],
  [
    'reordered items',
    async (caseDir) => {
      const manifest = await lines(caseDir, 'manifest.jsonl');
      [manifest[0], manifest[1]] = [manifest[1]!, manifest[0]!];
      await rewrite(caseDir, 'manifest.jsonl', manifest);
    },
    'manifest_order',
  ],
  [
    'a modified entry',
    async (caseDir) => {
      const custody = await lines(caseDir, 'custody.jsonl');
      const entry = JSON.parse(custody[2]!) as Record<string, unknown>;
      entry.actor = 'mallory';
      entry.hash = custodyHash(entry);
      custody[2] = JSON.stringify(entry);
      await rewrite(caseDir, 'custody.jsonl', custody);
    },
    'custody_signature',
  ],
  [
    'a deleted entry',
    async (caseDir) => {
      const custody = await lines(caseDir, 'custody.jsonl');
      custody.splice(1, 1);
      await rewrite(caseDir, 'custody.jsonl', custody);
    },
    'custody_prev_hash',
  ],
  [
    'an added entry',
    async (caseDir) => {
      const custody = await lines(caseDir, 'custody.jsonl');
      const last = JSON.parse(custody.at(-1)!) as { seq: number; hash: string };
      const entry: Record<string, unknown> = {
        seq: last.seq + 1,
        time: new Date().toISOString(),
        actor: 'mallory',
        action: 'note',
        sha256: null,
        details: {},
        prev_hash: last.hash,
      };
      entry.hash = custodyHash(entry);
      await rewrite(caseDir, 'custody.jsonl', [...custody, JSON.stringify(entry)]);
    },
    'custody_unsigned',
  ],
  [
    'reordered entries',
    async (caseDir) => {
      const custody = await lines(caseDir, 'custody.jsonl');
      [custody[1], custody[2]] = [custody[2]!, custody[1]!];
      await rewrite(caseDir, 'custody.jsonl', custody);
    },
    'custody_seq',
  ],
  [
    'removed tail and its item',
    async (caseDir) => {
      const stored = await storedFiles(caseDir);
      await rewrite(caseDir, 'custody.jsonl', (await lines(caseDir, 'custody.jsonl')).slice(0, -1));
      await rewrite(
        caseDir,
        'manifest.jsonl',
        (await lines(caseDir, 'manifest.jsonl')).slice(0, -1),
      );
      await rm(path.join(caseDir, stored.at(-1)!));
    },
    'custody_truncated',
  ],
];

describe('verify on the demo case', () => {
  it('passes the untouched case', async () => {
    const report = await verifyCase(demoCase);

    expect(report.problems).toEqual([]);
    expect(report.items_checked).toBeGreaterThan(2);
  });

  it.each(tamperings)('detects %s', async (name, tamper, code) => {
    const caseDir = await copyCase(name.replaceAll(' ', '-'));

    await tamper(caseDir);

    expect(await codes(caseDir)).toContain(code);
  });
});
