import fs from 'node:fs/promises';
import path from 'node:path';
import { custodyPath } from './case-layout.ts';
import { readJsonLines } from './jsonl.ts';
import type { VerifyProblem } from './types.ts';

/** Actions whose entries record case fields in `details.fields`. */
const FIELD_ACTIONS = new Set(['case_init', 'case_update', 'legal_hold', 'legal_hold_released']);

/** The case fields as the signed ledger last recorded them. */
interface RecordedFields {
  values: Map<string, unknown>;
  notes: unknown[];
}

/**
 * Compares `case.json` with the field values that the ledger's case entries recorded, so an
 * edit of `case.json` that bypassed `case set` (an earlier discovery time, a removed hold or
 * note) is reported as `case_field_changed`. Fields the ledger never recorded are not checked.
 */
export async function checkCaseFields(caseDir: string, problems: VerifyProblem[]): Promise<void> {
  const recorded = await recordedFields(caseDir);
  if (recorded.values.size === 0 && recorded.notes.length === 0) return;

  const info = await readInfo(caseDir);
  if (info === null) {
    problems.push({
      code: 'case_info_missing',
      message: 'case.json is missing or not valid JSON, but the ledger records its fields.',
    });
    return;
  }
  for (const [field, value] of recorded.values) {
    // Whether the case is encrypted shows in its evidence files, not in case.json.
    if (field === 'encryption') continue;
    if (sameValue(currentValue(info, field), value)) continue;
    problems.push({
      code: 'case_field_changed',
      message: `case.json field ${field} differs from the value the custody ledger recorded.`,
    });
  }
  const notes = (Array.isArray(info.notes) ? info.notes : []).map(
    (note) => (note as { text?: unknown }).text,
  );
  if (!sameValue(notes, recorded.notes)) {
    problems.push({
      code: 'case_field_changed',
      message: 'case.json notes differ from the notes the custody ledger recorded.',
    });
  }
}

async function recordedFields(caseDir: string): Promise<RecordedFields> {
  const recorded: RecordedFields = { values: new Map(), notes: [] };
  for await (const line of readJsonLines(custodyPath(caseDir))) {
    if (!line.ok) continue;
    const entry = (line.value ?? {}) as { action?: unknown; details?: { fields?: unknown } };
    if (!FIELD_ACTIONS.has(String(entry.action))) continue;
    const fields = entry.details?.fields;
    if (typeof fields !== 'object' || fields === null) continue;

    for (const [field, value] of Object.entries(fields)) {
      if (field === 'notes') recorded.notes.push(value);
      else recorded.values.set(field, value);
    }
  }
  return recorded;
}

/** Reads a field of `case.json` by the name the ledger records it under. */
function currentValue(info: Record<string, unknown>, field: string): unknown {
  const retention = (info.retention ?? {}) as Record<string, unknown>;
  if (field === 'retention.evidence_days') return retention.evidence_days;
  if (field === 'retention.legal_hold') {
    return (retention.legal_hold as { reason?: unknown } | null | undefined)?.reason ?? null;
  }

  const task = /^tasks\.(\d+)(\.done)?$/.exec(field);
  if (task !== null) {
    const tasks = (Array.isArray(info.tasks) ? info.tasks : []) as Record<string, unknown>[];
    const found = tasks.find((each) => each.id === Number(task[1]));
    return task[2] === undefined ? found?.text : found?.done;
  }
  return info[field];
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function readInfo(caseDir: string): Promise<Record<string, unknown> | null> {
  try {
    const value = JSON.parse(await fs.readFile(path.join(caseDir, 'case.json'), 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
