import { escapeMarkdown, sanitizeTerminalLine } from '../core/escape.ts';
import type { Level } from '../detect/types.ts';
import { actorListText } from './actor-list.ts';
import { ATTACK_TIMELINE_COLUMNS, attackTimelineCells } from './attack-timeline.ts';
import { attackMarkdown } from './attack-vector-render.ts';
import { baselineMarkdown } from './baselines.ts';
import { COVERAGE_COLUMNS, coverageCells, missingSentence } from './coverage.ts';
import { deadlineLines } from './deadlines.ts';
import { gapsMarkdown } from './gaps-section.ts';
import { intelMarkdown } from './intel-section.ts';
import { runFigures } from './run-figures.ts';
import { sectionsMarkdown } from './sections.ts';
import { streamLabel } from './stream-label.ts';
import { type ReportData, SEVERITY_COLUMNS } from './types.ts';

// Log text is kept on one line, with control characters shown as `\xNN`, and escaped so that
// it adds no Markdown or inline HTML.
function md(text: string | number | null): string {
  if (text === null) return '-';

  return escapeMarkdown(sanitizeTerminalLine(String(text)));
}

function table(header: string[], rows: (string | number | null)[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.map(md).join(' | ')} |`),
  ];
}

/** Renders `report.md`: counts, sources, findings, attack timeline, rejected records, evidence. */
export function renderMarkdown(data: ReportData): string {
  const lines = [
    '# cloudcase report',
    '',
    `Case: ${md(data.case_dir)}  `,
    `Generated: ${data.generated_at}`,
    '',
    '## Summary',
    '',
    `Case totals: records read ${data.totals.read}, stored ${data.totals.stored}, ` +
      `rejected ${data.totals.rejected}. Findings (rules matched): ${data.findings.length}.`,
    '',
    ...(data.run === null ? [] : [`This run: ${runFigures(data.run)}.`, '']),
    ...table(
      SEVERITY_COLUMNS,
      Object.entries(data.severity_counts)
        .reverse()
        .map(([level, count]) => [level, count, data.severity_events[level as Level] ?? 0]),
    ),
    '',
    ...runProblemSections(data),
    '## Reporting deadlines',
    '',
    ...deadlineLines(data.deadlines).map((line) => `- ${line}`),
    '',
    '## Sources',
    '',
    ...table(
      ['source', 'read', 'stored', 'rejected', 'events in case', 'first event', 'last event'],
      data.sources.map((s) => [
        s.source,
        s.records.read,
        s.records.stored,
        s.records.rejected,
        s.events,
        s.first_time,
        s.last_time,
      ]),
    ),
    '',
    ...coverageSection(data),
    ...sectionsMarkdown(data.sections),
    ...gapsMarkdown(data.gaps),
    ...intelMarkdown(data.intel),
    '## Findings',
    '',
    ...findingSections(data),
    ...attackMarkdown(data.attack),
    '## Attack timeline',
    '',
    ...table(ATTACK_TIMELINE_COLUMNS, data.attack_timeline.map(attackTimelineCells)),
    '',
    ...baselineMarkdown(data.baselines),
    ...rejectedSection(data),
    '## Evidence',
    '',
    ...table(
      ['sha256', 'path', 'format', 'ingest'],
      data.evidence.map((e) => [e.sha256, e.path, e.format, e.state]),
    ),
    '',
  ];

  return lines.join('\n');
}

function coverageSection(data: ReportData): string[] {
  const missing = missingSentence(data.coverage);
  return [
    '## Log coverage',
    '',
    ...(missing === null ? [] : [missing, '']),
    ...table(COVERAGE_COLUMNS, data.coverage.map(coverageCells)),
    '',
  ];
}

function findingSections(data: ReportData): string[] {
  if (data.findings.length === 0) return ['No rule matched.', ''];

  return data.findings.flatMap((f) => [
    `### ${md(f.severity.toUpperCase())}: ${md(f.title)}`,
    '',
    `- Rule: ${md(f.rule_id)}`,
    `- Tactics: ${md(f.tactics.join(', ') || null)}; techniques: ${md(f.techniques.join(', ') || null)}`,
    `- Events: ${f.event_count}, from ${f.first_seen} to ${f.last_seen}`,
    `- Actors: ${md(actorListText(f.actors))}`,
    ...(f.correlation_hits > 0 ? [`- Correlation hits: ${f.correlation_hits}`] : []),
    '',
  ]);
}

function rejectedSection(data: ReportData): string[] {
  const shown = data.rejected.length;
  const note =
    data.rejected_total > shown
      ? [`Listed: the first ${shown} of ${data.rejected_total}.`, '']
      : [];

  return [
    '## Rejected records',
    '',
    `Total: ${data.rejected_total}.`,
    '',
    ...note,
    ...table(
      ['file', 'record', 'line', 'offset', 'code', 'reason', 'sample'],
      data.rejected.map((r) => [
        streamLabel(r),
        r.index,
        r.line,
        r.offset,
        r.code,
        r.reason,
        r.sample.slice(0, 80),
      ]),
    ),
    '',
  ];
}

// Inputs and rules that the run could not use. A report built without a run has none to list.
function runProblemSections(data: ReportData): string[] {
  const failed = data.run?.evidence.failed ?? [];
  const problems = data.run?.rules.problems ?? [];
  const lines: string[] = [];
  if (failed.length > 0) {
    lines.push(
      '## Inputs that could not be acquired',
      '',
      ...table(
        ['path', 'code', 'reason'],
        failed.map((f) => [f.path, f.code, f.reason]),
      ),
      '',
    );
  }
  if (problems.length > 0) {
    lines.push(
      '## Rules that failed to load',
      '',
      ...table(
        ['file', 'line', 'code', 'message'],
        problems.map((p) => [p.file, p.line, p.code, p.message]),
      ),
      '',
    );
  }

  return lines;
}
