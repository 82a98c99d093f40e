import type { CaseFields } from './case-fields.ts';

const HOUR_MS = 3_600_000;

/**
 * A reporting deadline. DFARS 252.204-7012 gives a defence contractor 72 hours from discovery
 * to report a cyber incident, and CIRCIA sets 72 hours for a covered cyber incident too. CIRCIA
 * also sets 24 hours from a ransom payment for reporting the payment.
 */
export interface Deadline {
  id: 'incident_report' | 'ransom_payment_report';
  /** Description of the report due. */
  label: string;
  hours: number;
  /** The event that started the clock, ISO 8601 UTC. */
  started_at: string;
  due_at: string;
  /** When the report was submitted, from `case.json`, or `null` while it has not been. */
  reported_at: string | null;
  /** `met` and `late` once reported; `open` or `overdue` until then, as of `now`. */
  state: 'open' | 'overdue' | 'met' | 'late';
  /** Milliseconds from `now` to `due_at`, negative when past; `null` once reported. */
  remaining_ms: number | null;
}

function deadline(
  id: Deadline['id'],
  label: string,
  hours: number,
  startedAt: string,
  reportedAt: string | null,
  now: Date,
): Deadline {
  const due = Date.parse(startedAt) + hours * HOUR_MS;
  const dueAt = new Date(due).toISOString();
  if (reportedAt !== null) {
    const state = Date.parse(reportedAt) <= due ? 'met' : 'late';
    return {
      id,
      label,
      hours,
      started_at: startedAt,
      due_at: dueAt,
      reported_at: reportedAt,
      state,
      remaining_ms: null,
    };
  }

  const remaining = due - now.getTime();
  const state = remaining >= 0 ? 'open' : 'overdue';
  return {
    id,
    label,
    hours,
    started_at: startedAt,
    due_at: dueAt,
    reported_at: null,
    state,
    remaining_ms: remaining,
  };
}

/**
 * Computes the reporting clocks of a case as of `now`: the 72-hour incident report clock from
 * `discovered_at`, and the 24-hour clock from `ransom_payment_at` when the case records a ransom
 * payment. A case without a discovery time has no incident clock.
 */
export function reportingDeadlines(fields: CaseFields, now: Date = new Date()): Deadline[] {
  const clocks: Deadline[] = [];
  if (fields.discovered_at !== null) {
    clocks.push(
      deadline(
        'incident_report',
        'incident report (72 hours from discovery)',
        72,
        fields.discovered_at,
        fields.reported_at,
        now,
      ),
    );
  }
  if (fields.ransom_payment_at !== null) {
    clocks.push(
      deadline(
        'ransom_payment_report',
        'ransom payment report (CIRCIA, 24 hours from payment)',
        24,
        fields.ransom_payment_at,
        fields.ransom_reported_at,
        now,
      ),
    );
  }

  return clocks;
}

// Hours and minutes of a duration, such as "71 h 05 min".
function duration(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Describes a clock in one line, such as "due 2024-05-19T01:00:00.000Z, 12 h 30 min left". */
export function describeDeadline(clock: Deadline): string {
  switch (clock.state) {
    case 'met':
      return `reported ${clock.reported_at}, within the deadline of ${clock.due_at}`;
    case 'late':
      return `reported ${clock.reported_at}, after the deadline of ${clock.due_at}`;
    case 'open':
      return `due ${clock.due_at}, ${duration(clock.remaining_ms ?? 0)} left`;
    case 'overdue':
      return `due ${clock.due_at}, OVERDUE by ${duration(clock.remaining_ms ?? 0)}`;
  }
}

/** Lines of plain text, one per clock, for the reports and the terminal summary. */
export function deadlineLines(clocks: readonly Deadline[]): string[] {
  if (clocks.length === 0) return ['No discovery time recorded: no reporting clock runs.'];

  return clocks.map((clock) => `${clock.label}: ${describeDeadline(clock)}`);
}
