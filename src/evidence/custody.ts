import { createHash } from 'node:crypto';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { custodyPath } from './case-layout.ts';
import { appendLine, readLastLine } from './jsonl.ts';
import { serialize } from './serialize.ts';
import type { CustodyEntry, CustodyRequest } from './types.ts';

/** `prev_hash` of the first entry in a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Custody lines are small; a longer last line means the file was damaged. */
const MAX_CUSTODY_LINE_BYTES = 1024 * 1024;

/** Computes an entry's hash: SHA-256 over the canonical JSON of every field except `hash`. */
export function custodyHash(entry: Omit<CustodyEntry, 'hash'> | Record<string, unknown>): string {
  const { hash: _ignored, ...body } = entry as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * Appends one entry to the case's `custody.jsonl`, chained to the last entry by its hash.
 * Appends within this process are serialized; the line is flushed to disk before the promise
 * resolves. Raises `custody_invalid` when the last line cannot be parsed, because a new entry
 * could not be chained to it.
 */
export function appendCustody(caseDir: string, request: CustodyRequest): Promise<CustodyEntry> {
  const file = custodyPath(caseDir);

  return serialize(file, async () => {
    const previous = await readTail(file);
    const body: Omit<CustodyEntry, 'hash'> = {
      seq: previous === null ? 1 : previous.seq + 1,
      time: new Date().toISOString(),
      actor: request.actor,
      action: request.action,
      sha256: request.sha256 ?? null,
      details: request.details ?? {},
      prev_hash: previous === null ? GENESIS_HASH : previous.hash,
    };
    const entry: CustodyEntry = { ...body, hash: custodyHash(body) };
    await appendLine(file, JSON.stringify(entry));

    return entry;
  });
}

async function readTail(file: string): Promise<{ seq: number; hash: string } | null> {
  const text = await readLastLine(file, MAX_CUSTODY_LINE_BYTES);
  if (text === null) return null;

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidTail(file);
  }
  const { seq, hash } = (value ?? {}) as { seq?: unknown; hash?: unknown };
  if (!Number.isSafeInteger(seq) || typeof hash !== 'string') throw invalidTail(file);

  return { seq: seq as number, hash };
}

function invalidTail(file: string): CloudcaseError {
  return new CloudcaseError(
    'custody_invalid',
    `The last entry of ${file} cannot be parsed, so a new entry cannot be chained to it; ` +
      'run `cloudcase verify` to locate the damage.',
    EXIT.verification,
  );
}
