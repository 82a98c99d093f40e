import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { CasePhase } from './case-dir.ts';

/** The phases of NIST SP 800-61, in order. */
export const CASE_PHASES: readonly CasePhase[] = [
  'preparation',
  'detection-and-analysis',
  'containment',
  'eradication',
  'recovery',
  'post-incident',
];

/**
 * Shortest retention of evidence and images, in days. DFARS 252.204-7012 (e) has defence
 * contractors keep images of affected systems and the monitoring data for at least 90 days
 * after they submit the incident report. The period here starts when the case is closed, so it
 * covers that rule as long as the report is submitted before the case is closed.
 */
export const MIN_RETENTION_DAYS = 90;

/** Longest accepted retention, about a hundred years, so the end date stays representable. */
const MAX_RETENTION_DAYS = 36_525;

/** One task of the response, numbered from 1 in the order added. */
export interface CaseTask {
  id: number;
  text: string;
  done: boolean;
  added_at: string;
  added_by: string;
  done_at?: string;
  done_by?: string;
}

/** A dated note by an analyst. */
export interface CaseNote {
  time: string;
  analyst: string;
  text: string;
}

/** A legal hold: while set, nothing of the case may be deleted. */
export interface LegalHold {
  reason: string;
  since: string;
  by: string;
}

/** How long the case's evidence is kept after the case is closed. */
export interface RetentionPolicy {
  /** Days after closing before evidence and images may be deleted; at least 90. */
  evidence_days: number;
  legal_hold: LegalHold | null;
}

/** One change to the case fields: who, when, which field, and the value it took. */
export interface CaseChange {
  time: string;
  analyst: string;
  field: string;
  value: unknown;
}

/** Checks an IANA time zone name, such as `Europe/Berlin` or `UTC`, and returns it. */
export function parseTimezone(value: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw invalidValue(
      'invalid_timezone',
      `${value} is not an IANA time zone; use a name such as UTC or Europe/Berlin`,
    );
  }
}

/** Parses an ISO 8601 time with a zone (a time without one is UTC) into UTC ISO form. */
export function parseInstant(value: string, flag: string): string {
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) && value.length > 10;
  const time = iso.test(value) ? Date.parse(hasZone ? value : `${value}Z`) : Number.NaN;
  if (Number.isNaN(time)) {
    throw invalidValue(
      'invalid_time',
      `${flag} ${value} is not an ISO 8601 time; use a form such as 2024-05-16T09:30:00Z`,
    );
  }

  return new Date(time).toISOString();
}

/**
 * How far in the future an event time of the case may lie, in milliseconds: room for a clock
 * that runs a little fast, not for a time typed in the wrong zone or year.
 */
export const MAX_FUTURE_MS = 5 * 60_000;

/**
 * Parses the time of something that has happened, such as the discovery or a report sent, as
 * `parseInstant` does. Raises `future_time` when it lies more than `MAX_FUTURE_MS` after `now`,
 * because a reporting clock would then count from a time still to come.
 */
export function parsePastInstant(value: string, flag: string, now = Date.now()): string {
  const instant = parseInstant(value, flag);
  const ahead = Date.parse(instant) - now;
  if (ahead > MAX_FUTURE_MS) {
    throw invalidValue(
      'future_time',
      `${flag} ${value} is ${futureSpan(ahead)} in the future (now ${new Date(now).toISOString()}); ` +
        'give the time it happened, with its zone (Z for UTC)',
    );
  }

  return instant;
}

function futureSpan(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
}

/** Checks a phase name against NIST SP 800-61's phases. */
export function parsePhase(value: string): CasePhase {
  const phase = CASE_PHASES.find((each) => each === value.toLowerCase());
  if (phase === undefined) {
    throw invalidValue(
      'invalid_phase',
      `${value} is not a phase; use one of ${CASE_PHASES.join(', ')}`,
    );
  }
  return phase;
}

/** Checks a retention period in whole days, at least `MIN_RETENTION_DAYS`. */
export function parseRetentionDays(value: string): number {
  // Digits only: Number() would also take `1e3` or `0x3e8` as 1000.
  const days = /^\d{1,6}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
    throw invalidValue(
      'invalid_retention',
      `--retention-days ${value} is invalid; give whole days from ${MIN_RETENTION_DAYS} ` +
        `to ${MAX_RETENTION_DAYS}`,
    );
  }
  return days;
}

/** Checks free text given on the command line: not empty, at most 10,000 characters. */
export function parseText(value: string, flag: string): string {
  const text = value.trim();
  if (text === '' || text.length > 10_000) {
    throw invalidValue('invalid_text', `${flag} needs a text of 1 to 10000 characters`);
  }
  return text;
}

function invalidValue(code: string, message: string): CloudcaseError {
  return new CloudcaseError(code, message, EXIT.usage);
}
