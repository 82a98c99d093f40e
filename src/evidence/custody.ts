import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { custodyPath } from './case-layout.ts';
import { appendLine, readLastLine } from './jsonl.ts';
import { serialize } from './serialize.ts';
import { caseSigner, type Signer, signText } from './signing-key.ts';
import type { CustodyEntry, CustodyHead, CustodyRequest } from './types.ts';

/** `prev_hash` of the first entry in a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** The signed record of the chain's last entry, kept outside the ledger. */
export const HEAD_FILE = 'custody.head.json';

/** The action of the entry that seals a case; no entry may follow it. */
export const SEAL_ACTION = 'seal';

/**
 * Actions still accepted once a case is sealed: a legal hold can be placed on a closed case
 * and lifted. Each such entry carries `details.sealed: true`, so the ledger's last line alone
 * tells whether the case is sealed.
 */
export const AFTER_SEAL_ACTIONS: readonly string[] = ['legal_hold', 'legal_hold_released'];

/** Custody lines are small; a longer last line means the file was damaged. */
const MAX_CUSTODY_LINE_BYTES = 1024 * 1024;

/** Computes an entry's hash: SHA-256 over the canonical JSON of every field but `hash`, `sig`. */
export function custodyHash(entry: Omit<CustodyEntry, 'hash'> | Record<string, unknown>): string {
  const { hash: _hash, sig: _sig, ...body } = entry as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** The text an entry's signature covers: its hash, which covers every other field. */
export function entrySignedText(hash: string): string {
  return `cloudcase custody entry ${hash}`;
}

/** The text a head's signature covers. */
export function headSignedText(head: Omit<CustodyHead, 'sig'>): string {
  return `cloudcase custody head ${canonicalJson(head)}`;
}

/** Options for `appendCustody`. */
export interface AppendCustodyOptions {
  /** Private key file; by default `caseSigner` finds the case's key. */
  keyFile?: string;
}

/**
 * Appends one entry to the case's `custody.jsonl`, chained to the last entry by its hash and
 * signed with the case's Ed25519 key, then rewrites the signed head (`custody.head.json`).
 * Appends within this process are serialized; the line is flushed to disk before the promise
 * resolves. Raises `custody_invalid` when the last line cannot be parsed, because a new entry
 * could not be chained to it, and `case_sealed` when the last entry seals the case.
 */
export async function appendCustody(
  caseDir: string,
  request: CustodyRequest,
  options: AppendCustodyOptions = {},
): Promise<CustodyEntry> {
  const [entry] = await appendCustodyEntries(caseDir, [request], options);
  return entry!;
}

/**
 * Appends entries to the case's `custody.jsonl` as `appendCustody` does one at a time, each
 * chained to the one before and signed, with one write and one flush to disk for all of them,
 * then rewrites the signed head once. A run that records one entry per evidence item of a
 * folder of a thousand small files pays one flush instead of a thousand.
 */
export function appendCustodyEntries(
  caseDir: string,
  requests: readonly CustodyRequest[],
  options: AppendCustodyOptions = {},
): Promise<CustodyEntry[]> {
  const file = custodyPath(caseDir);

  return serialize(file, async () => {
    if (requests.length === 0) return [];
    const signer = await caseSigner(caseDir, options.keyFile);
    const tail = await readTail(file);
    let previous: { seq: number; hash: string } | null = tail;
    const sealed = tail?.sealed === true;
    const entries: CustodyEntry[] = [];
    for (const request of requests) {
      if (sealed && !AFTER_SEAL_ACTIONS.includes(request.action)) throw sealedError(caseDir);
      const details = { ...(request.details ?? {}), ...(sealed ? { sealed: true } : {}) };
      const body: Omit<CustodyEntry, 'hash' | 'sig'> = {
        seq: previous === null ? 1 : previous.seq + 1,
        time: new Date().toISOString(),
        actor: request.actor,
        action: request.action,
        sha256: request.sha256 ?? null,
        details,
        prev_hash: previous === null ? GENESIS_HASH : previous.hash,
      };
      const hash = custodyHash(body);
      const entry = { ...body, hash, sig: signText(signer, entrySignedText(hash)) };
      entries.push(entry);
      previous = entry;
    }
    await appendLine(file, entries.map((entry) => JSON.stringify(entry)).join('\n'));
    await writeHead(caseDir, signer, entries.at(-1)!);

    return entries;
  });
}

/** Tells whether the ledger's last entry seals the case. */
export async function isSealed(caseDir: string): Promise<boolean> {
  const tail = await readTail(custodyPath(caseDir));
  return tail?.sealed === true;
}

/** The error for a write to a sealed case. */
export function sealedError(caseDir: string): CloudcaseError {
  return new CloudcaseError(
    'case_sealed',
    `case ${caseDir} is closed and sealed; nothing more can be added to it`,
    EXIT.case,
  );
}

async function writeHead(caseDir: string, signer: Signer, entry: CustodyEntry): Promise<void> {
  const body: Omit<CustodyHead, 'sig'> = {
    seq: entry.seq,
    hash: entry.hash,
    time: entry.time,
    key: signer.fingerprint,
  };
  const head: CustodyHead = { ...body, sig: signText(signer, headSignedText(body)) };
  const target = path.join(caseDir, HEAD_FILE);
  const temp = `${target}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(head, null, 2)}\n`, { flush: true });
  await fs.rename(temp, target);
}

interface Tail {
  seq: number;
  hash: string;
  /** Whether this entry seals the case or follows the seal. */
  sealed: boolean;
}

async function readTail(file: string): Promise<Tail | null> {
  const text = await readLastLine(file, MAX_CUSTODY_LINE_BYTES);
  if (text === null) return null;

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidTail(file);
  }
  const { seq, hash, action, details } = (value ?? {}) as Record<string, unknown>;
  if (!Number.isSafeInteger(seq) || typeof hash !== 'string') throw invalidTail(file);
  const afterSeal = (details as { sealed?: unknown } | null)?.sealed === true;

  return { seq: seq as number, hash, sealed: action === SEAL_ACTION || afterSeal };
}

function invalidTail(file: string): CloudcaseError {
  return new CloudcaseError(
    'custody_invalid',
    `The last entry of ${file} cannot be parsed, so a new entry cannot be chained to it; ` +
      'run `cloudcase verify` to locate the damage.',
    EXIT.verification,
  );
}
