import type { KeyObject } from 'node:crypto';
import { custodyPath } from './case-layout.ts';
import {
  AFTER_SEAL_ACTIONS,
  custodyHash,
  entrySignedText,
  GENESIS_HASH,
  SEAL_ACTION,
} from './custody.ts';
import { type FindingsRecord, findingsRecordOf } from './findings-records.ts';
import { readJsonLines } from './jsonl.ts';
import { verifyText } from './signing-key.ts';
import { type StoredRecord, storedRecordOf } from './stored-records.ts';
import type { VerifyProblem } from './types.ts';

/** An `acquire` entry as verify needs it. */
export interface AcquireRecord {
  seq: number;
  /** Hash of the manifest line the entry recorded, when the entry has one. */
  manifestSha256: string | null;
}

/** Counts and digests collected by the custody walk, beside its problems. */
export interface CustodySummary {
  entries: number;
  lastSeq: number;
  headHash: string | null;
  /** Digests with an `acquire` entry, in ledger order, each with its first entry. */
  acquired: Map<string, AcquireRecord>;
  /** The latest `ingest` record of each evidence item, by SHA-256. */
  stored: Map<string, StoredRecord>;
  /** The latest `findings` record, or `null` when the ledger has none. */
  findings: FindingsRecord | null;
  /** Every `findings` record that lists tables changed before its command ran. */
  changedBeforeRun: FindingsRecord[];
  sealed: boolean;
}

interface ChainState {
  seq: number;
  hash: string;
}

/**
 * Walks `custody.jsonl` and adds a problem for every line that does not parse, breaks the
 * sequence, does not carry the previous line's hash, whose own hash does not match its
 * content, or whose signature does not verify with `publicKey` (not checked when `null`).
 * After a break the walk goes on from the line as written, so one edited line yields one
 * problem, not one per following line.
 */
export async function checkCustody(
  caseDir: string,
  publicKey: KeyObject | null,
  problems: VerifyProblem[],
): Promise<CustodySummary> {
  const summary: CustodySummary = {
    entries: 0,
    lastSeq: 0,
    headHash: null,
    acquired: new Map(),
    stored: new Map(),
    findings: null,
    changedBeforeRun: [],
    sealed: false,
  };
  let previous: ChainState = { seq: 0, hash: GENESIS_HASH };

  for await (const line of readJsonLines(custodyPath(caseDir))) {
    summary.entries += 1;
    const entry = line.ok ? asEntry(line.value) : null;
    if (entry === null) {
      problems.push({
        code: 'custody_invalid_line',
        line: line.line,
        message: `custody.jsonl line ${line.line} is not a custody entry.`,
      });
      continue;
    }

    problems.push(...linkProblems(entry, previous, line.line));
    if (publicKey !== null) problems.push(...signatureProblems(entry, publicKey, line.line));
    if (summary.sealed && !AFTER_SEAL_ACTIONS.includes(String(entry.action))) {
      problems.push(afterSealProblem(entry, line.line));
    }
    previous = { seq: entry.seq as number, hash: entry.hash as string };
    summary.lastSeq = previous.seq;
    summary.headHash = previous.hash;
    summary.sealed = summary.sealed || entry.action === SEAL_ACTION;
    noteAcquire(summary, entry);
    const stored = storedRecordOf(entry);
    if (stored !== null) summary.stored.set(entry.sha256 as string, stored);
    noteFindings(summary, entry);
  }

  return summary;
}

function noteFindings(summary: CustodySummary, entry: Record<string, unknown>): void {
  const findings = findingsRecordOf(entry);
  if (findings === null) return;

  summary.findings = findings;
  if (findings.changedBeforeRun.length > 0) summary.changedBeforeRun.push(findings);
}

function noteAcquire(summary: CustodySummary, entry: Record<string, unknown>): void {
  if (entry.action !== 'acquire' || typeof entry.sha256 !== 'string') return;
  if (summary.acquired.has(entry.sha256)) return;

  const details = (entry.details ?? {}) as Record<string, unknown>;
  const manifestSha256 =
    typeof details.manifest_sha256 === 'string' ? details.manifest_sha256 : null;
  summary.acquired.set(entry.sha256, { seq: entry.seq as number, manifestSha256 });
}

function asEntry(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;

  const entry = value as Record<string, unknown>;
  if (!Number.isSafeInteger(entry.seq)) return null;
  if (typeof entry.hash !== 'string' || typeof entry.prev_hash !== 'string') return null;

  return entry;
}

function linkProblems(
  entry: Record<string, unknown>,
  previous: ChainState,
  line: number,
): VerifyProblem[] {
  const seq = entry.seq as number;
  const problems: VerifyProblem[] = [];
  if (seq !== previous.seq + 1) {
    problems.push({
      code: 'custody_seq',
      seq,
      line,
      message: `custody.jsonl line ${line} has seq ${seq}, expected ${previous.seq + 1}.`,
    });
  }
  if (entry.prev_hash !== previous.hash) {
    problems.push({
      code: 'custody_prev_hash',
      seq,
      line,
      message: `custody.jsonl line ${line} (seq ${seq}) does not carry the hash of the entry before it.`,
    });
  }
  if (custodyHash(entry) !== entry.hash) {
    problems.push({
      code: 'custody_hash',
      seq,
      line,
      message: `custody.jsonl line ${line} (seq ${seq}) was changed after it was written.`,
    });
  }

  return problems;
}

function signatureProblems(
  entry: Record<string, unknown>,
  publicKey: KeyObject,
  line: number,
): VerifyProblem[] {
  const seq = entry.seq as number;
  if (entry.sig === undefined) {
    return [
      {
        code: 'custody_unsigned',
        seq,
        line,
        message: `custody.jsonl line ${line} (seq ${seq}) carries no signature.`,
      },
    ];
  }
  if (verifyText(publicKey, entrySignedText(entry.hash as string), entry.sig)) return [];

  return [
    {
      code: 'custody_signature',
      seq,
      line,
      message:
        `custody.jsonl line ${line} (seq ${seq}) has a signature that the case key does not ` +
        'verify: the entry was written or changed without that key.',
    },
  ];
}

function afterSealProblem(entry: Record<string, unknown>, line: number): VerifyProblem {
  const seq = entry.seq as number;
  return {
    code: 'custody_after_seal',
    seq,
    line,
    message: `custody.jsonl line ${line} (seq ${seq}) follows the entry that sealed the case.`,
  };
}
