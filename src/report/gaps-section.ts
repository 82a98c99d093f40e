/**
 * The report section "What is missing or tampered": gap findings, retention warnings and the
 * CloudTrail log file integrity summary, in Markdown and HTML.
 */
import {
  escapeHtml,
  escapeMarkdown,
  sanitizeTerminal,
  sanitizeTerminalLine,
} from '../core/escape.ts';
import type { GapReport } from '../gaps/types.ts';

/** Columns of the gap findings table. */
export const GAP_COLUMNS = [
  'severity',
  'kind',
  'source',
  'account',
  'region',
  'from',
  'to',
  'what happened',
  'what cannot be seen',
];

/** Maximum findings listed in a report; the rest are counted. */
const LISTED = 200;

function cells(report: GapReport): (string | null)[][] {
  return report.findings
    .slice(0, LISTED)
    .map((f) => [
      f.severity,
      f.kind,
      f.source,
      f.account,
      f.region,
      f.start,
      f.end ?? 'end of evidence',
      f.summary,
      f.cannot_see,
    ]);
}

function integrityLine(report: GapReport): string | null {
  const i = report.integrity;
  if (i === null) return null;
  const signatures = i.signatures_checked
    ? `${i.digests_valid} with a valid signature, ${i.digests_unverified} unverified`
    : 'signatures not checked (no public keys given)';
  return (
    `CloudTrail digests: ${i.digests} (${signatures}). Log files listed: ${i.log_files_listed}; ` +
    `valid ${i.log_files_valid}, modified ${i.log_files_modified}, not in the evidence ${i.log_files_missing}.`
  );
}

function md(text: string | null): string {
  return text === null ? '-' : escapeMarkdown(sanitizeTerminalLine(text));
}

/** Renders the section in Markdown; an empty list when the case has no gap analysis. */
export function gapsMarkdown(report: GapReport | null | undefined): string[] {
  if (!report) return [];
  const lines = ['## What is missing or tampered', '', md(report.method), ''];
  const integrity = integrityLine(report);
  if (integrity) lines.push(md(integrity), '');
  if (report.findings.length === 0) lines.push('No gaps, stopped logging or tampering found.', '');
  else {
    lines.push(`| ${GAP_COLUMNS.join(' | ')} |`, `|${GAP_COLUMNS.map(() => ' --- ').join('|')}|`);
    for (const row of cells(report)) lines.push(`| ${row.map(md).join(' | ')} |`);
    if (report.findings.length > LISTED)
      lines.push('', `Listed: ${LISTED} of ${report.findings.length}.`);
    lines.push('');
  }
  if (report.retention.length > 0) {
    lines.push('### Retention shorter than 90 days', '');
    for (const warning of report.retention) lines.push(`- ${md(warning.message)}`);
    lines.push('');
  }
  for (const problem of report.integrity?.problems ?? []) {
    if (lines.at(-2) !== '### Integrity check notes') lines.push('### Integrity check notes', '');
    lines.push(`- ${md(problem.file)}: ${md(problem.message)} [${md(problem.code)}]`);
  }
  if (report.integrity?.problems.length) lines.push('');

  return lines;
}

const html = (text: string | null): string =>
  text === null ? '-' : escapeHtml(sanitizeTerminal(text));

/** Renders the section in HTML; an empty string when the case has no gap analysis. */
export function gapsHtml(report: GapReport | null | undefined): string {
  if (!report) return '';
  const integrity = integrityLine(report);
  const head = GAP_COLUMNS.map((c) => `<th>${c}</th>`).join('');
  const body = cells(report)
    .map((row) => `<tr>${row.map((value) => `<td>${html(value)}</td>`).join('')}</tr>`)
    .join('\n');
  const findings =
    report.findings.length === 0
      ? '<p>No gaps, stopped logging or tampering found.</p>'
      : `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
  const retention =
    report.retention.length === 0
      ? ''
      : `<h3>Retention shorter than 90 days</h3>\n<ul>${report.retention.map((w) => `<li>${html(w.message)}</li>`).join('')}</ul>\n`;

  return (
    `<h2>What is missing or tampered</h2>\n<p>${html(report.method)}</p>\n` +
    `${integrity ? `<p>${html(integrity)}</p>\n` : ''}${findings}\n${retention}`
  );
}

/** Returns the terminal summary lines of the gap analysis and intel matches, if there are any. */
export function gapSummaryLines(
  gaps: GapReport | null | undefined,
  intelHits: number | null,
): string[] {
  const lines: string[] = [];
  if (gaps && gaps.findings.length > 0) {
    const kinds = new Map<string, number>();
    for (const finding of gaps.findings)
      kinds.set(finding.kind, (kinds.get(finding.kind) ?? 0) + 1);
    const counts = [...kinds].map(([kind, count]) => `${kind} ${count}`).join(', ');
    lines.push(`  Missing or tampered logs: ${counts}; see reports/report.md`);
  }
  if (gaps && gaps.retention.length > 0) {
    const count = gaps.retention.length;
    lines.push(`  Retention under 90 days: ${count} ${count === 1 ? 'warning' : 'warnings'}`);
  }
  if (intelHits !== null) lines.push(`  Threat intel indicators matched: ${intelHits}`);

  return lines;
}
