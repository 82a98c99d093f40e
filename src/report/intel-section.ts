/** The report section "Threat intelligence": files loaded, indicators matched, entries not read. */
import {
  escapeHtml,
  escapeMarkdown,
  sanitizeTerminal,
  sanitizeTerminalLine,
} from '../core/escape.ts';
import type { IntelReport } from '../intel/index.ts';

const HIT_COLUMNS = [
  'indicator',
  'type',
  'intel file',
  'line',
  'label',
  'fields',
  'matches',
  'first seen',
  'last seen',
  'first event',
];
const FILE_COLUMNS = ['intel file', 'format', 'indicators', 'skipped', 'not read', 'sha256'];

/** Entries not read that are listed per file; the rest are counted. */
const PROBLEMS_LISTED = 50;

function hitCells(report: IntelReport): (string | number | null)[][] {
  return report.hits.map((h) => [
    h.indicator,
    h.type,
    h.file,
    h.line,
    h.label,
    h.fields,
    h.matches,
    h.first_seen,
    h.last_seen,
    h.event_uid,
  ]);
}

function fileCells(report: IntelReport): (string | number)[][] {
  return report.files.map((f) => [
    f.file,
    f.format,
    f.indicators,
    f.skipped,
    f.problems.length,
    f.sha256,
  ]);
}

function problemLines(report: IntelReport): string[] {
  return report.files.flatMap((f) => [
    ...f.problems
      .slice(0, PROBLEMS_LISTED)
      .map((p) => `${p.file}:${p.line}: ${p.message} [${p.code}]`),
    ...(f.problems.length > PROBLEMS_LISTED
      ? [`${f.file}: ${f.problems.length - PROBLEMS_LISTED} more not listed`]
      : []),
  ]);
}

const md = (value: string | number | null): string =>
  value === null ? '-' : escapeMarkdown(sanitizeTerminalLine(String(value)));

function mdTable(header: string[], rows: (string | number | null)[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.map(md).join(' | ')} |`),
  ];
}

/** Renders the section in Markdown; nothing when no intel file was loaded. */
export function intelMarkdown(report: IntelReport | null | undefined): string[] {
  if (!report) return [];
  const problems = problemLines(report);
  return [
    '## Threat intelligence',
    '',
    ...mdTable(FILE_COLUMNS, fileCells(report)),
    '',
    ...(report.hits.length === 0
      ? ['No indicator matched an event.']
      : mdTable(HIT_COLUMNS, hitCells(report))),
    '',
    ...(report.hits_total > report.hits.length
      ? [`Listed: the first ${report.hits.length} of ${report.hits_total} matched indicators.`, '']
      : []),
    ...(problems.length === 0
      ? []
      : ['### Intel entries not read', '', ...problems.map((p) => `- ${md(p)}`), '']),
  ];
}

const html = (value: string | number | null): string =>
  value === null ? '-' : escapeHtml(sanitizeTerminal(String(value)));

function htmlTable(header: string[], rows: (string | number | null)[][]): string {
  const head = header.map((name) => `<th>${html(name)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((v) => `<td>${html(v)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Renders the section in HTML; an empty string when no intel file was loaded. */
export function intelHtml(report: IntelReport | null | undefined): string {
  if (!report) return '';
  const problems = problemLines(report);
  const hits =
    report.hits.length === 0
      ? '<p>No indicator matched an event.</p>'
      : htmlTable(HIT_COLUMNS, hitCells(report));
  const notRead =
    problems.length === 0
      ? ''
      : `<h3>Intel entries not read</h3>\n<ul>${problems.map((p) => `<li>${html(p)}</li>`).join('')}</ul>\n`;
  return `<h2>Threat intelligence</h2>\n${htmlTable(FILE_COLUMNS, fileCells(report))}\n${hits}\n${notRead}`;
}
