import type { AuditEntry } from '../../case/audit-trail.ts';
import type { CaseInfo } from '../../case/case-dir.ts';
import type { RetentionStatus } from '../../case/retention.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { type Deadline, deadlineLines } from '../../report/deadlines.ts';

const safe = (value: unknown) => sanitizeTerminalLine(String(value ?? ''));

/** Formats a UTC time with the same moment in the case's zone beside it, unless that is UTC. */
export function withZone(iso: string, timezone: string): string {
  if (timezone === 'UTC') return iso;
  const local = new Intl.DateTimeFormat('sv-SE', {
    timeZone: timezone,
    dateStyle: 'short',
    timeStyle: 'short',
  }).format(new Date(iso));
  return `${iso} (${local} ${timezone})`;
}

/** Renders the text of `case show`. */
export function renderCase(
  info: CaseInfo,
  retention: RetentionStatus,
  deadlines: readonly Deadline[] = [],
): string {
  const zone = info.timezone;
  const status =
    info.closed_at === undefined
      ? 'open'
      : `closed ${withZone(info.closed_at, zone)} by ${safe(info.closed_by)}`;
  const rows: [string, string][] = [
    ['organisation', info.organisation === undefined ? '(not set)' : safe(info.organisation)],
    ['timezone', safe(zone)],
    ['discovered', withZone(info.discovered_at, zone)],
    ['phase', info.phase],
    ['lead', info.lead === undefined ? '(not set)' : safe(info.lead)],
    ['analysts', (info.analysts ?? []).map(safe).join(', ') || '(none)'],
    ['status', status],
    ['retention', retentionLine(retention)],
  ];
  const lines = [`case ${info.id}: ${safe(info.title)}`];
  for (const [label, value] of rows) lines.push(`  ${label.padEnd(13)}${value}`);
  lines.push(...section('reporting clocks', deadlineLines(deadlines)));
  lines.push(...section('tasks', (info.tasks ?? []).map(taskLine)));
  lines.push(
    ...section(
      'notes',
      (info.notes ?? []).map((note) => `${note.time}  ${safe(note.analyst)}: ${safe(note.text)}`),
    ),
  );
  if (info.lessons_learned !== undefined) {
    lines.push(...section('lessons learned', [safe(info.lessons_learned)]));
  }
  lines.push(
    ...section(
      'history',
      (info.history ?? []).map(
        (change) =>
          `${change.time}  ${safe(change.analyst)}  ${change.field} = ${safe(JSON.stringify(change.value))}`,
      ),
    ),
  );
  return `${lines.join('\n')}\n`;
}

function retentionLine(retention: RetentionStatus): string {
  const ends = retention.ends_at === null ? 'after closing' : `until ${retention.ends_at}`;
  const hold = retention.legal_hold === null ? '' : `; legal hold: ${safe(retention.legal_hold)}`;
  return `${retention.evidence_days} days ${ends}${hold}`;
}

function taskLine(task: NonNullable<CaseInfo['tasks']>[number]): string {
  const done = task.done ? ` (done by ${safe(task.done_by)} at ${task.done_at})` : '';
  return `[${task.done ? 'x' : ' '}] ${task.id}. ${safe(task.text)}${done}`;
}

function section(title: string, lines: string[]): string[] {
  if (lines.length === 0) return [];
  return ['', `${title}:`, ...lines.map((line) => `  ${line}`)];
}

/** Renders the text of `case audit`, one line per command. */
export function renderAudit(entries: AuditEntry[], broken: number[]): string {
  const lines = entries.map((entry) => {
    const results = entry.results === null ? '' : `  ${entry.results} results`;
    const error = entry.error === null ? '' : `  ${entry.error}`;
    const args = [...entry.args, ...optionWords(entry.options)].map(safe).join(' ');
    return (
      `${entry.time}  ${safe(entry.actor)}  ${safe(entry.command)}${args ? ` ${args}` : ''}` +
      `  exit ${entry.exit_code}${results}${error}`
    );
  });
  if (broken.length > 0) {
    lines.push(`audit.jsonl lines ${broken.join(', ')} were changed or do not parse.`);
  }
  return lines.length === 0 ? 'no commands recorded\n' : `${lines.join('\n')}\n`;
}

function optionWords(options: Record<string, unknown>): string[] {
  return Object.entries(options).map(([key, value]) =>
    value === true ? `--${key}` : `--${key}=${JSON.stringify(value)}`,
  );
}
