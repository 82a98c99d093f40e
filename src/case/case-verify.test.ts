import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCase } from '../evidence/index.ts';
import { readCaseInfo, writeCaseInfo } from './case-dir.ts';
import { initCase, placeHold, setCase } from './case-lifecycle.ts';

const author = { analyst: 'ana' };
let work: string;
let caseDir: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cloudcase-case-verify-'));
  caseDir = path.join(work, 'case');
  await initCase(caseDir, author, {
    title: 'Acme',
    discovered_at: '2024-05-16T09:30:00.000Z',
    add_tasks: ['rotate keys'],
  });
  await setCase(caseDir, author, { add_notes: ['first'], phase: 'containment' });
  await placeHold(caseDir, author, 'litigation');
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function messagesAfter(change: (info: Record<string, unknown>) => void): Promise<string[]> {
  const info = (await readCaseInfo(caseDir)) as unknown as Record<string, unknown>;
  change(info);
  await writeCaseInfo(caseDir, info as never);
  return (await verifyCase(caseDir)).problems.map((problem) => problem.message);
}

describe('verify of case fields', () => {
  it('passes fields changed by commands', async () => {
    expect((await verifyCase(caseDir)).problems).toEqual([]);
  });

  it('detects an edited discovery time', async () => {
    const messages = await messagesAfter((info) => {
      info.discovered_at = '2024-05-18T00:00:00.000Z';
    });

    expect(messages).toEqual([expect.stringContaining('field discovered_at')]);
  });

  it('detects a removed note and hold', async () => {
    const messages = await messagesAfter((info) => {
      info.notes = [];
      info.retention = { evidence_days: 90, legal_hold: null };
    });

    expect(messages).toEqual([
      expect.stringContaining('field retention.legal_hold'),
      expect.stringContaining('notes differ'),
    ]);
  });

  it('detects an edited task', async () => {
    const messages = await messagesAfter((info) => {
      info.tasks = [{ id: 1, text: 'nothing to do', done: true }];
    });

    expect(messages).toEqual([expect.stringContaining('field tasks.1')]);
  });
});
