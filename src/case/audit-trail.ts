import { createHash } from 'node:crypto';
import path from 'node:path';
import { canonicalJson } from '../evidence/canonical-json.ts';
import { appendLine, readJsonLines, readLastLine } from '../evidence/jsonl.ts';
import { serialize } from '../evidence/serialize.ts';

/** File of the audit trail inside a case folder. */
export const AUDIT_FILE = 'audit.jsonl';

/** The record a command gives the audit trail about itself. */
export interface AuditRecord {
  actor: string;
  /** The command as typed after `cloudcase`, such as `case set` or `timeline`. */
  command: string;
  /** Positional arguments, such as the input paths of `investigate`. */
  args: string[];
  /** The options given, by their long name. */
  options: Record<string, unknown>;
  exit_code: number;
  /** How many results the command produced (events printed, problems found, …), if it counts. */
  results: number | null;
  /** Error code of a command that failed. */
  error: string | null;
  started_at: string;
}

/** One line of `audit.jsonl`: a record, numbered and chained to the line before. */
export interface AuditEntry extends AuditRecord {
  seq: number;
  time: string;
  prev_hash: string;
  /** SHA-256 over the canonical JSON of every other field. */
  hash: string;
}

const MAX_AUDIT_LINE_BYTES = 1024 * 1024;

/**
 * Appends one record to the case's audit trail. Each line carries the hash of the line before,
 * so an edited or removed line breaks the chain. Unlike the custody ledger, the trail takes
 * entries after the case is sealed: reading a closed case is on record too.
 */
export function appendAudit(caseDir: string, record: AuditRecord): Promise<AuditEntry> {
  const file = path.join(caseDir, AUDIT_FILE);
  return serialize(file, async () => {
    const previous = await lastEntry(file);
    const body = {
      ...record,
      seq: (previous?.seq ?? 0) + 1,
      time: new Date().toISOString(),
      prev_hash: previous?.hash ?? '0'.repeat(64),
    };
    const entry: AuditEntry = { ...body, hash: auditHash(body) };
    await appendLine(file, JSON.stringify(entry));
    return entry;
  });
}

/** The audit trail and whether its chain holds. */
export interface AuditTrail {
  entries: AuditEntry[];
  /** Sequence numbers of lines that do not parse, or whose hash or link is wrong. */
  broken: number[];
}

/** Reads the last `limit` entries of the audit trail and checks the chain of all of them. */
export async function readAudit(
  caseDir: string,
  limit = Number.POSITIVE_INFINITY,
): Promise<AuditTrail> {
  const trail: AuditTrail = { entries: [], broken: [] };
  let previousHash = '0'.repeat(64);
  for await (const line of readJsonLines(path.join(caseDir, AUDIT_FILE))) {
    const entry = (line.ok ? line.value : null) as AuditEntry | null;
    if (entry === null || typeof entry !== 'object') {
      trail.broken.push(line.line);
      continue;
    }
    if (entry.prev_hash !== previousHash || auditHash(entry) !== entry.hash) {
      trail.broken.push(line.line);
    }
    previousHash = entry.hash;
    trail.entries.push(entry);
    if (trail.entries.length > limit) trail.entries.shift();
  }
  return trail;
}

function auditHash(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const { hash: _hash, ...body } = entry as AuditEntry;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

async function lastEntry(file: string): Promise<{ seq: number; hash: string } | null> {
  const text = await readLastLine(file, MAX_AUDIT_LINE_BYTES);
  if (text === null) return null;
  try {
    const { seq, hash } = JSON.parse(text) as { seq?: unknown; hash?: unknown };
    if (Number.isSafeInteger(seq) && typeof hash === 'string') return { seq: seq as number, hash };
  } catch {
    // A damaged last line starts the chain over from it; `case audit` reports the break.
  }
  return { seq: 0, hash: 'damaged' };
}
