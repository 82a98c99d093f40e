import type { KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HEAD_FILE, headSignedText } from './custody.ts';
import { fingerprintOf, verifyText } from './signing-key.ts';
import type { VerifyProblem } from './types.ts';
import type { CustodySummary } from './verify-custody.ts';

/**
 * Compares the ledger's last entry with the signed head in `custody.head.json`. The head is
 * rewritten after every append, so a ledger cut short (its tail removed together with the
 * manifest lines and evidence it named) ends before the head's `seq` and is reported as
 * `custody_truncated`. Without the private key, a head cannot be forged to match.
 */
export async function checkHead(
  caseDir: string,
  publicKey: KeyObject | null,
  custody: CustodySummary,
  problems: VerifyProblem[],
): Promise<void> {
  const head = await readHead(caseDir);
  if (head === null) {
    if (custody.entries === 0) return;
    problems.push({
      code: 'custody_head_missing',
      message: `${HEAD_FILE} is missing or unreadable, so a removed tail of the ledger cannot be ruled out.`,
    });
    return;
  }

  if (publicKey !== null && !headSignatureValid(head, publicKey)) {
    problems.push({
      code: 'custody_head_signature',
      message: `${HEAD_FILE} has a signature that the case key does not verify.`,
    });
    return;
  }
  const problem = positionProblem(head, custody);
  if (problem !== null) problems.push(problem);
}

function positionProblem(
  head: Record<string, unknown>,
  custody: CustodySummary,
): VerifyProblem | null {
  const seq = head.seq as number;
  if (seq > custody.lastSeq) {
    return {
      code: 'custody_truncated',
      seq,
      message:
        `The ledger ends at seq ${custody.lastSeq}, but its signed head records seq ${seq}: ` +
        `entries ${custody.lastSeq + 1} to ${seq} were removed.`,
    };
  }
  if (seq < custody.lastSeq) {
    return {
      code: 'custody_head_behind',
      seq,
      message:
        `The signed head records seq ${seq}, but the ledger goes on to seq ${custody.lastSeq}: ` +
        'the entries after it were added without updating the head.',
    };
  }
  if (head.hash !== custody.headHash) {
    return {
      code: 'custody_head_mismatch',
      seq,
      message: `The last entry (seq ${seq}) is not the entry the signed head records.`,
    };
  }

  return null;
}

function headSignatureValid(head: Record<string, unknown>, publicKey: KeyObject): boolean {
  const { sig, ...body } = head;
  if (body.key !== fingerprintOf(publicKey)) return false;
  return verifyText(publicKey, headSignedText(body as never), sig);
}

async function readHead(caseDir: string): Promise<Record<string, unknown> | null> {
  try {
    const value = JSON.parse(await fs.readFile(path.join(caseDir, HEAD_FILE), 'utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const head = value as Record<string, unknown>;
    if (!Number.isSafeInteger(head.seq) || typeof head.hash !== 'string') return null;

    return head;
  } catch {
    return null;
  }
}
