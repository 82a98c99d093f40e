import { sanitizeTerminalLine } from '../core/escape.ts';
import type { Level } from '../detect/types.ts';
import { runFigures } from './run-figures.ts';
import type { ReportData } from './types.ts';

/** Rejected records listed in the terminal summary before "and N more". */
export const SUMMARY_REJECTED_LIMIT = 20;

/** Attack timeline entries listed in the terminal summary. */
export const SUMMARY_TIMELINE_LIMIT = 30;

const SEVERITY_COLORS: Record<Level, string> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  informational: '\u001b[2m',
};
const RESET = '\u001b[0m';

interface SummaryOptions {
  color: boolean;
  /** Terminal width in columns; longer lines are cut. Unlimited when not given. */
  width?: number;
}

/** Sanitizes log-derived or user-given text for one terminal line. */
const safe = (text: string | null): string => sanitizeTerminalLine(text ?? '-');

/**
 * Renders the terminal summary of a report: records per source, findings by severity, the
 * attack timeline and the first rejected records. Every value from a log passes through
 * `sanitizeTerminalLine`; ANSI colors are added only when `color` is set.
 */
export function renderSummary(data: ReportData, opts: SummaryOptions): string {
  const paint = (level: Level, text: string): string =>
    opts.color ? `${SEVERITY_COLORS[level]}${text}${RESET}` : text;
  const lines = [
    `Case ${safe(data.case_dir)}`,
    '',
    ...recordLines(data),
    '',
    ...runProblemLines(data),
    ...findingLines(data, paint),
    '',
    ...timelineLines(data, paint),
    '',
    ...rejectedLines(data),
  ];

  const width = opts.width;
  const fitted = width === undefined ? lines : lines.map((line) => cut(line, width, opts.color));

  return `${fitted.join('\n')}\n`;
}

function recordRow(name: string, counts: (number | string)[], range: string): string {
  const cells = counts.map((count) => String(count).padStart(9)).join(' ');

  return `  ${name.padEnd(20)} ${cells}  ${range}`.trimEnd();
}

function recordLines(data: ReportData): string[] {
  const lines = ['Records', recordRow('source', ['read', 'stored', 'rejected'], 'time range')];
  for (const source of data.sources) {
    const range =
      source.first_time === null ? '-' : `${source.first_time} .. ${source.last_time ?? '-'}`;
    const { read, stored, rejected } = source.records;
    lines.push(recordRow(safe(source.source), [read, stored, rejected], range));
  }
  const { read, stored, rejected } = data.totals;
  lines.push(recordRow('case total', [read, stored, rejected], ''));
  if (data.run !== null) lines.push(`  This run: ${runFigures(data.run)}`);

  return lines;
}

// Inputs and rules that the run could not use, each list followed by a blank line.
function runProblemLines(data: ReportData): string[] {
  const failed = data.run?.evidence.failed ?? [];
  const problems = data.run?.rules.problems ?? [];
  const lines: string[] = [];
  if (failed.length > 0) {
    lines.push(`Inputs that could not be acquired (${failed.length})`);
    for (const input of failed) {
      lines.push(`  ${safe(input.path)}  ${safe(input.code)}  ${safe(input.reason)}`);
    }
    lines.push('');
  }
  if (problems.length > 0) {
    lines.push(`Rules that failed to load (${problems.length})`);
    for (const problem of problems) {
      const place =
        problem.line === null ? safe(problem.file) : `${safe(problem.file)}:${problem.line}`;
      lines.push(`  ${place}  ${safe(problem.code)}  ${safe(problem.message)}`);
    }
    lines.push('');
  }

  return lines;
}

function findingLines(data: ReportData, paint: (level: Level, text: string) => string): string[] {
  if (data.findings.length === 0) return ['Detections: none'];

  const lines = [`Detections (${data.findings.length} rules)`];
  for (const finding of data.findings) {
    const actors = finding.actors.length === 0 ? '-' : finding.actors.map(safe).join(', ');
    lines.push(
      `  ${paint(finding.severity, finding.severity.toUpperCase().padEnd(13))} ${safe(finding.title)} [${safe(finding.rule_id)}]`,
      `      ${finding.event_uids.length} events, ${finding.first_seen} .. ${finding.last_seen}; actors: ${actors}`,
    );
  }

  return lines;
}

function timelineLines(data: ReportData, paint: (level: Level, text: string) => string): string[] {
  if (data.attack_timeline.length === 0) return ['Attack timeline: no detected events'];

  const shown = data.attack_timeline.slice(0, SUMMARY_TIMELINE_LIMIT);
  const lines = ['Attack timeline'];
  for (const entry of shown) {
    const tactic = `[${safe(entry.tactic ?? 'no tactic')}]`.padEnd(24);
    const count = entry.count > 1 ? ` (${entry.count} events to ${entry.last_time})` : '';
    lines.push(
      `  ${entry.time}  ${tactic} ${paint(entry.severity, entry.severity.padEnd(13))} ${safe(entry.title)}${count}  actor=${safe(entry.actor)} ip=${safe(entry.src_ip)} op=${safe(entry.operation)}`,
    );
  }
  const more = data.attack_timeline.length - shown.length;
  if (more > 0) lines.push(`  and ${more} more, see reports/report.md`);

  return lines;
}

function rejectedLines(data: ReportData): string[] {
  if (data.rejected_total === 0) return ['Rejected records: none'];

  const shown = data.rejected.slice(0, SUMMARY_REJECTED_LIMIT);
  const lines = [`Rejected records (${data.rejected_total})`];
  for (const record of shown) {
    const file = record.member === null ? record.path : `${record.path}!${record.member}`;
    lines.push(
      `  ${safe(file)}:${record.line} (offset ${record.offset})  ${safe(record.code)}  ${safe(record.reason)}`,
    );
  }
  const more = data.rejected_total - shown.length;
  if (more > 0) lines.push(`  and ${more} more, see reports/report.md`);

  return lines;
}

// Cuts a line to the terminal width. Colored lines are left whole, because cutting inside an
// escape sequence would leave the terminal colored.
function cut(line: string, width: number, color: boolean): string {
  if (line.length <= width || (color && line.includes('\u001b'))) return line;

  return `${line.slice(0, Math.max(width - 1, 1))}…`;
}
