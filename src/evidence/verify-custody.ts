import { custodyPath } from './case-layout.ts';
import { custodyHash, GENESIS_HASH } from './custody.ts';
import { readJsonLines } from './jsonl.ts';
import type { VerifyProblem } from './types.ts';

/** Counts and digests collected by the custody walk, beside its problems. */
export interface CustodySummary {
  entries: number;
  headHash: string | null;
  /** Digests with an `acquire` entry, each with the sequence number of its first one. */
  acquired: Map<string, number>;
}

interface ChainState {
  seq: number;
  hash: string;
}

/**
 * Walks `custody.jsonl` and adds a problem for every line that does not parse, breaks the
 * sequence, does not carry the previous line's hash, or whose own hash does not match its
 * content. After a break the walk goes on from the line as written, so one edited line
 * yields one problem, not one per following line.
 */
export async function checkCustody(
  caseDir: string,
  problems: VerifyProblem[],
): Promise<CustodySummary> {
  const summary: CustodySummary = { entries: 0, headHash: null, acquired: new Map() };
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
    previous = { seq: entry.seq as number, hash: entry.hash as string };
    summary.headHash = previous.hash;
    if (entry.action === 'acquire' && typeof entry.sha256 === 'string') {
      if (!summary.acquired.has(entry.sha256)) summary.acquired.set(entry.sha256, previous.seq);
    }
  }

  return summary;
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
