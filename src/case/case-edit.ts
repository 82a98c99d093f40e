import type { CaseInfo, CasePhase } from './case-dir.ts';
import { MIN_RETENTION_DAYS } from './case-fields.ts';
import { type FieldChange, unknownTask } from './case-update.ts';

/** The changes `case set` (and `case init`) can make; every field is optional. */
export interface CaseEdit {
  title?: string;
  organisation?: string;
  timezone?: string;
  discovered_at?: string;
  lead?: string;
  phase?: CasePhase;
  add_analysts?: string[];
  remove_analysts?: string[];
  add_tasks?: string[];
  done_tasks?: number[];
  add_notes?: string[];
  lessons_learned?: string;
  retention_days?: number;
  /** Fields of the incident reports, by their `case.json` key; see `REPORT_FIELDS`. */
  report_fields?: [key: ReportFieldKey, value: unknown][];
}

/**
 * The `case.json` keys of the incident reports that `case set --report-field` sets, with the
 * type of their values. `contact.*` keys fill the point of contact.
 */
export const REPORT_FIELDS = {
  'contact.name': 'text',
  'contact.email': 'text',
  'contact.phone': 'text',
  defence_contractor: 'boolean',
  contracts: 'list',
  access_level: 'text',
  cdi_impact: 'text',
  data_affected: 'text',
  description: 'text',
  threat_actor: 'text',
  other_information: 'text',
  onset_at: 'time',
  detected_at: 'time',
  reported_at: 'time',
  ransom_payment_at: 'time',
  ransom_reported_at: 'time',
} as const;

export type ReportFieldKey = keyof typeof REPORT_FIELDS;

type ScalarField = 'title' | 'organisation' | 'timezone' | 'discovered_at' | 'lead' | 'phase';

const SCALARS: readonly ScalarField[] = [
  'title',
  'organisation',
  'timezone',
  'discovered_at',
  'lead',
  'phase',
];

/**
 * Applies an edit to the case info in place, by `analyst` at `time`, and returns the fields it
 * changed with their new values. A value equal to the current one is no change.
 */
export function applyEdit(
  info: CaseInfo,
  edit: CaseEdit,
  analyst: string,
  time: string,
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of SCALARS) {
    const value = edit[field];
    if (value === undefined || info[field] === value) continue;
    (info as unknown as Record<string, unknown>)[field] = value;
    changes.push([field, value]);
  }
  changes.push(...editAnalysts(info, edit));
  changes.push(...editTasks(info, edit, analyst, time));
  for (const text of edit.add_notes ?? []) {
    info.notes = [...(info.notes ?? []), { time, analyst, text }];
    changes.push(['notes', text]);
  }
  if (edit.lessons_learned !== undefined && edit.lessons_learned !== info.lessons_learned) {
    info.lessons_learned = edit.lessons_learned;
    changes.push(['lessons_learned', edit.lessons_learned]);
  }
  const retention = info.retention ?? { evidence_days: MIN_RETENTION_DAYS, legal_hold: null };
  if (edit.retention_days !== undefined && edit.retention_days !== retention.evidence_days) {
    info.retention = { ...retention, evidence_days: edit.retention_days };
    changes.push(['retention.evidence_days', edit.retention_days]);
  }
  for (const [key, value] of edit.report_fields ?? []) {
    const fields = info as unknown as Record<string, unknown>;
    if (key.startsWith('contact.')) {
      const contact = { ...((fields.contact as Record<string, unknown> | undefined) ?? {}) };
      contact[key.slice('contact.'.length)] = value;
      fields.contact = contact;
      // The ledger records the whole contact, so verify compares it with case.json as a field.
      changes.push(['contact', contact]);
    } else {
      fields[key] = value;
      changes.push([key, value]);
    }
  }

  return changes;
}

function editAnalysts(info: CaseInfo, edit: CaseEdit): FieldChange[] {
  const before = info.analysts ?? [];
  const removed = new Set(edit.remove_analysts ?? []);
  const after = before.filter((name) => !removed.has(name));
  for (const name of edit.add_analysts ?? []) if (!after.includes(name)) after.push(name);
  if (after.length === before.length && after.every((name, i) => before[i] === name)) return [];

  info.analysts = after;
  return [['analysts', after]];
}

function editTasks(info: CaseInfo, edit: CaseEdit, analyst: string, time: string): FieldChange[] {
  const tasks = [...(info.tasks ?? [])];
  const changes: FieldChange[] = [];
  for (const id of edit.done_tasks ?? []) {
    const index = tasks.findIndex((task) => task.id === id);
    const task = tasks[index];
    if (task === undefined) throw unknownTask(id);
    if (task.done) continue;
    tasks[index] = { ...task, done: true, done_at: time, done_by: analyst };
    changes.push([`tasks.${id}.done`, true]);
  }
  for (const text of edit.add_tasks ?? []) {
    const id = tasks.reduce((max, task) => Math.max(max, task.id), 0) + 1;
    tasks.push({ id, text, done: false, added_at: time, added_by: analyst });
    changes.push([`tasks.${id}`, text]);
  }
  if (changes.length > 0) info.tasks = tasks;

  return changes;
}
