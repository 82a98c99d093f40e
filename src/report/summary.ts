import { sanitizeTerminalLine } from '../core/escape.ts';
import type { Level } from '../detect/types.ts';
import { actorListText } from './actor-list.ts';
import { baselineSummaryLine } from './baselines.ts';
import { deadlineLines } from './deadlines.ts';
import { fitLine, type LinePart } from './fit-line.ts';
import { gapSummaryLines } from './gaps-section.ts';
import { runFigures } from './run-figures.ts';
import { sectionsSummary } from './sections.ts';
import { shownValue } from './shown-value.ts';
import { streamLabel } from './stream-label.ts';
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
  /**
   * Terminal width in columns. Longer lines have their titles, names, paths and reasons
   * shortened, never their codes. Nothing is shortened when not given, as for a pipe.
   */
  width?: number;
}

/** One line of the summary: its parts, or plain text that is never shortened. */
type Line = string | LinePart[];

/** Sanitizes log-derived or user-given text for one terminal line. */
const safe = (text: string | null): string => sanitizeTerminalLine(text ?? '-');

/** A part that may be shortened to fit the terminal. */
const flexible = (text: string | null): LinePart => ({ text: safe(text), shrink: true });

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * Renders the terminal summary of a report: records per source with this run's counts, inputs
 * and rules that failed, findings by severity, the attack timeline and the first rejected
 * records. Every value from a log passes through `sanitizeTerminalLine`; ANSI colors are added
 * only when `color` is set.
 */
export function renderSummary(data: ReportData, opts: SummaryOptions): string {
  const paint = (level: Level, text: string): string =>
    opts.color ? `${SEVERITY_COLORS[level]}${text}${RESET}` : text;
  const lines: Line[] = [
    [{ text: 'Case ' }, flexible(data.case_dir)],
    '',
    'Reporting deadlines',
    ...deadlineLines(data.deadlines).map((line) => `  ${line}`),
    '',
    ...recordLines(data),
    '',
    ...runProblemLines(data),
    ...sectionsSummary(data.sections),
    ...findingLines(data),
    baselineSummaryLine(data.baselines),
    '',
    ...timelineLines(data),
    '',
    ...rejectedLines(data),
  ];
  const text = lines.map((line) =>
    typeof line === 'string' ? line : fitLine(line, opts.width, paint),
  );

  return `${text.join('\n')}\n`;
}

function recordRow(name: string, counts: (number | string)[], range: string): string {
  const cells = counts.map((count) => String(count).padStart(9)).join(' ');

  return `  ${name.padEnd(20)} ${cells}  ${range}`.trimEnd();
}

function recordLines(data: ReportData): Line[] {
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
  lines.push(...coverageLines(data));
  lines.push(...gapSummaryLines(data.gaps, data.intel ? data.intel.hits_total : null));

  return lines;
}

// Categories come from a fixed list, so only source ids need sanitizing.
function coverageLines(data: ReportData): string[] {
  const present = data.coverage.filter((row) => row.present);
  const missing = data.coverage.filter((row) => !row.present);
  const lines: string[] = [];
  const names = present.map((row) => `${row.category} (${row.sources.map(safe).join(', ')})`);
  lines.push(`  Log categories present: ${names.length === 0 ? 'none' : names.join(', ')}`);
  if (missing.length > 0) {
    lines.push(`  Missing, so not visible: ${missing.map((row) => row.category).join(', ')}`);
  }
  return lines;
}

// Inputs and rules that the run could not use, each list followed by a blank line.
function runProblemLines(data: ReportData): Line[] {
  const failed = data.run?.evidence.failed ?? [];
  const problems = data.run?.rules.problems ?? [];
  const lines: Line[] = [];
  if (failed.length > 0) {
    lines.push(`Inputs that could not be acquired (${failed.length})`);
    for (const input of failed) {
      lines.push([
        { text: '  ' },
        flexible(input.path),
        { text: `  ${safe(input.code)}  ` },
        flexible(input.reason),
      ]);
    }
    lines.push('');
  }
  if (problems.length > 0) {
    lines.push(`Rules that failed to load (${problems.length})`);
    for (const problem of problems) {
      const line = problem.line === null ? '' : `:${problem.line}`;
      lines.push([
        { text: '  ' },
        flexible(problem.file),
        { text: `${line}  ${safe(problem.code)}  ` },
        flexible(problem.message),
      ]);
    }
    lines.push('');
  }

  return lines;
}

function findingLines(data: ReportData): Line[] {
  if (data.findings.length === 0) return ['Detections: none'];

  const lines: Line[] = [`Detections (${plural(data.findings.length, 'rule')})`];
  for (const finding of data.findings) {
    const actors = actorListText(finding.actors);
    const events = plural(finding.event_count, 'event');
    lines.push(
      [
        { text: '  ' },
        { text: finding.severity.toUpperCase().padEnd(13), level: finding.severity },
        { text: ' ' },
        flexible(finding.title),
        { text: ` [${safe(finding.rule_id)}]` },
      ],
      [
        { text: `      ${events}, ${finding.first_seen} .. ${finding.last_seen}; actors: ` },
        flexible(actors),
      ],
    );
  }

  return lines;
}

function timelineLines(data: ReportData): Line[] {
  if (data.attack_timeline.length === 0) return ['Attack timeline: no detected events'];

  const shown = data.attack_timeline.slice(0, SUMMARY_TIMELINE_LIMIT);
  const lines: Line[] = ['Attack timeline'];
  for (const entry of shown) {
    const tactic = `[${safe(entry.tactic ?? 'no tactic')}]`.padEnd(24);
    const count = entry.count > 1 ? ` (${entry.count} events to ${entry.last_time})` : '';
    lines.push([
      { text: `  ${entry.time}  ${tactic} ` },
      { text: entry.severity.padEnd(13), level: entry.severity },
      { text: ` ip=${safe(shownValue(entry.src_ip))} op=${safe(shownValue(entry.operation))}  ` },
      flexible(entry.title),
      { text: `${count}  actor=` },
      flexible(shownValue(entry.actor)),
    ]);
  }
  const more = data.attack_timeline.length - shown.length;
  if (more > 0) lines.push(`  and ${more} more, see reports/report.md`);

  return lines;
}

function rejectedLines(data: ReportData): Line[] {
  if (data.rejected_total === 0) return ['Rejected records: none'];

  const shown = data.rejected.slice(0, SUMMARY_REJECTED_LIMIT);
  const lines: Line[] = [`Rejected records (${data.rejected_total})`];
  for (const record of shown) {
    lines.push([
      { text: '  ' },
      flexible(streamLabel(record)),
      { text: `:${record.line} (offset ${record.offset})  ${safe(record.code)}  ` },
      flexible(record.reason),
    ]);
  }
  const more = data.rejected_total - shown.length;
  if (more > 0) lines.push(`  and ${more} more, see reports/report.md`);

  return lines;
}
