import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** A point of contact for the incident report. */
export interface ContactFields {
  name: string | null;
  email: string | null;
  phone: string | null;
}

/** One response or recovery action recorded in `case.json` under `actions`. */
export interface CaseAction {
  /** When the action was taken, ISO 8601; `null` when the entry gives no time. */
  time: string | null;
  action: string;
}

/**
 * The `case.json` keys that the reports read, each `null` when the case does not set it. Keys
 * with the wrong type count as not set, so a hand-edited file cannot break a report.
 */
export interface CaseFields {
  id: string | null;
  title: string | null;
  /** When the organisation discovered the incident; starts the 72-hour clock. */
  discovered_at: string | null;
  /** When the incident was first detected, if the responder records it apart from discovery. */
  detected_at: string | null;
  /** When the incident began, if known from outside the logs. */
  onset_at: string | null;
  phase: string | null;
  organisation: string | null;
  contact: ContactFields;
  /** `false` when the organisation is no defence contractor, so the DoD fields do not apply. */
  defence_contractor: boolean | null;
  contracts: string[] | null;
  access_level: string | null;
  cdi_impact: string | null;
  data_affected: string | null;
  description: string | null;
  threat_actor: string | null;
  actions: CaseAction[];
  other_information: string | null;
  /** When the organisation paid a ransom; starts the 24-hour CIRCIA clock. */
  ransom_payment_at: string | null;
  /** When the incident report was submitted; stops the 72-hour clock. */
  reported_at: string | null;
  /** When the ransom payment report was submitted; stops the 24-hour clock. */
  ransom_reported_at: string | null;
}

/** Maximum size of `case.json` read by the reports, far above its few short fields. */
const MAX_CASE_JSON_BYTES = 1024 * 1024;

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value : null;

// A time is kept only when it parses, and is normalized to UTC ISO 8601.
function time(value: unknown): string | null {
  const raw = text(value);
  if (raw === null) return null;

  const parsed = new Date(raw);
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function stringList(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;

  const items = value.flatMap((item) => (text(item) === null ? [] : [String(item)]));
  return items.length === 0 ? null : items;
}

function actions(value: unknown): CaseAction[] {
  if (!Array.isArray(value)) return [];

  return value.flatMap((item): CaseAction[] => {
    if (text(item) !== null) return [{ time: null, action: String(item) }];
    const entry = record(item);
    const action = text(entry.action);
    return action === null ? [] : [{ time: time(entry.time), action }];
  });
}

// `organisation` is a name, or an object with `name` and the contact and DoD keys inside it.
// Keys at the top level of `case.json` take precedence over the same keys inside it.
function organisationOf(info: Record<string, unknown>): Record<string, unknown> {
  const organisation = info.organisation;
  if (typeof organisation === 'string') return { name: organisation };

  return record(organisation);
}

/** Reads the report fields from a parsed `case.json` object. */
export function caseFieldsOf(value: unknown): CaseFields {
  const info = record(value);
  const organisation = organisationOf(info);
  const contact = record(info.contact ?? organisation.contact);
  const pick = (key: string): unknown => info[key] ?? organisation[key];
  const contractor = pick('defence_contractor');

  return {
    id: text(info.id),
    title: text(info.title),
    discovered_at: time(info.discovered_at),
    detected_at: time(info.detected_at),
    onset_at: time(info.onset_at),
    phase: text(info.phase),
    organisation: text(organisation.name),
    contact: { name: text(contact.name), email: text(contact.email), phone: text(contact.phone) },
    defence_contractor: typeof contractor === 'boolean' ? contractor : null,
    contracts: stringList(pick('contracts')),
    access_level: text(pick('access_level')),
    cdi_impact: text(info.cdi_impact),
    data_affected: text(info.data_affected),
    description: text(info.description),
    threat_actor: text(info.threat_actor),
    actions: actions(info.actions),
    other_information: text(info.other_information),
    ransom_payment_at: time(info.ransom_payment_at),
    reported_at: time(info.reported_at),
    ransom_reported_at: time(info.ransom_reported_at),
  };
}

/**
 * Reads the report fields of the case in `caseDir`. A missing, oversized or unparsable
 * `case.json` gives every field `null`: the reports then list the fields as missing.
 */
export async function readCaseFields(caseDir: string): Promise<CaseFields> {
  const file = path.join(caseDir, 'case.json');
  const content = await readFile(file).catch(() => null);
  if (content === null || content.length > MAX_CASE_JSON_BYTES) return caseFieldsOf({});

  try {
    return caseFieldsOf(JSON.parse(content.toString('utf8')));
  } catch {
    return caseFieldsOf({});
  }
}
