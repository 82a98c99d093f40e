import { escapeHtml as escapeMarkup, sanitizeTerminal } from '../core/escape.ts';
import type { Level } from '../detect/types.ts';
import { actorListText } from './actor-list.ts';
import { ATTACK_TIMELINE_COLUMNS, attackTimelineCells } from './attack-timeline.ts';
import { attackHtml } from './attack-vector-render.ts';
import { baselineHtml } from './baselines.ts';
import { COVERAGE_COLUMNS, coverageCells, missingSentence } from './coverage.ts';
import { deadlineLines } from './deadlines.ts';
import { gapsHtml } from './gaps-section.ts';
import { intelHtml } from './intel-section.ts';
import { runFigures } from './run-figures.ts';
import { sectionsHtml } from './sections.ts';
import { streamLabel } from './stream-label.ts';
import { type ReportData, SEVERITY_COLUMNS } from './types.ts';

// The report has no script and no external resource. The policy blocks everything except the
// inline style, so markup that slipped past escaping still could not load or run anything.
const CSP = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:0 0 1.5rem}th,td{border:1px solid #ccc;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#f0f0f0}td{word-break:break-word}
.critical{color:#a00;font-weight:bold}.high{color:#c00}.medium{color:#b60}.low{color:#058}
.informational{color:#666}code{font-size:12px}`;

// Control characters become visible `\xNN` text too, so the file stays safe to `cat` or `less`.
const escapeHtml = (text: string): string => escapeMarkup(sanitizeTerminal(text));

const cell = (value: string | number | null): string =>
  `<td>${value === null ? '-' : escapeHtml(String(value))}</td>`;

function table(header: string[], rows: (string | number | null)[][]): string {
  const head = header.map((name) => `<th>${escapeHtml(name)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('\n');

  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Renders the self-contained `report.html`. Every value passes through `escapeHtml`. */
export function renderHtml(data: ReportData): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>cloudcase report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>cloudcase report</h1>
<p>Case: <code>${escapeHtml(data.case_dir)}</code><br>Generated: ${escapeHtml(data.generated_at)}</p>
<h2>Summary</h2>
<p>Case totals: records read ${data.totals.read}, stored ${data.totals.stored}, rejected ${data.totals.rejected}.
Findings (rules matched): ${data.findings.length}.</p>
${data.run === null ? '' : `<p>This run: ${escapeHtml(runFigures(data.run))}.</p>\n`}${table(SEVERITY_COLUMNS, severityRows(data))}
${runProblemSections(data)}<h2>Reporting deadlines</h2>
<ul>${deadlineLines(data.deadlines)
    .map((line) => `<li>${escapeHtml(line)}</li>`)
    .join('')}</ul>
<h2>Sources</h2>
${table(
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
)}
<h2>Log coverage</h2>
${coverageHtml(data)}
${sectionsHtml(data.sections)}${gapsHtml(data.gaps)}${intelHtml(data.intel)}<h2>Findings</h2>
${findingsTable(data)}
${attackHtml(data.attack)}<h2>Attack timeline</h2>
${table(ATTACK_TIMELINE_COLUMNS, data.attack_timeline.map(attackTimelineCells))}
${baselineHtml(data.baselines)}<h2>Rejected records</h2>
<p>Total: ${data.rejected_total}${data.rejected_total > data.rejected.length ? `; the first ${data.rejected.length} are listed` : ''}.</p>
${table(
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
)}
<h2>Evidence</h2>
${table(
  ['sha256', 'path', 'format', 'ingest'],
  data.evidence.map((e) => [e.sha256, e.path, e.format, e.state]),
)}
</body>
</html>
`;
}

function findingsTable(data: ReportData): string {
  const rows = data.findings.map((f) => {
    const severity = `<td class="${f.severity}">${escapeHtml(f.severity)}</td>`;
    const rest = [
      f.title,
      f.rule_id,
      f.tactics.join(', '),
      f.techniques.join(', '),
      f.event_count,
      f.first_seen,
      f.last_seen,
      actorListText(f.actors),
    ];

    return `<tr>${severity}${rest.map(cell).join('')}</tr>`;
  });
  const head = ['severity', 'title', 'rule', 'tactics', 'techniques', 'events', 'first seen']
    .concat(['last seen', 'actors'])
    .map((name) => `<th>${name}</th>`)
    .join('');

  return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

// Inputs and rules that the run could not use. A report built without a run has none to list.
function runProblemSections(data: ReportData): string {
  const failed = data.run?.evidence.failed ?? [];
  const problems = data.run?.rules.problems ?? [];
  let html = '';
  if (failed.length > 0) {
    const rows = failed.map((f) => [f.path, f.code, f.reason]);
    html += `<h2>Inputs that could not be acquired</h2>\n${table(['path', 'code', 'reason'], rows)}\n`;
  }
  if (problems.length > 0) {
    const rows = problems.map((p) => [p.file, p.line, p.code, p.message]);
    html += `<h2>Rules that failed to load</h2>\n${table(['file', 'line', 'code', 'message'], rows)}\n`;
  }

  return html;
}

function coverageHtml(data: ReportData): string {
  const missing = missingSentence(data.coverage);
  const sentence = missing === null ? '' : `<p><strong>${escapeHtml(missing)}</strong></p>\n`;
  return `${sentence}${table(COVERAGE_COLUMNS, data.coverage.map(coverageCells))}`;
}

function severityRows(data: ReportData): (string | number)[][] {
  return Object.entries(data.severity_counts)
    .reverse()
    .map(([level, rules]) => [level, rules, data.severity_events[level as Level] ?? 0]);
}
