import { escapeMarkdown, sanitizeTerminalLine } from '../../core/escape.ts';
import { describeDeadline } from '../deadlines.ts';
import { escapeText, htmlPage, htmlTable } from '../html-page.ts';
import type { CisaReport } from './types.ts';

const md = (text: string | null): string =>
  text === null ? '-' : escapeMarkdown(sanitizeTerminalLine(text));

const title = (report: CisaReport): string =>
  `CISA incident report, version ${report.version}${report.version > 1 ? ' (supplemental)' : ''}`;

function statusLine(report: CisaReport): string {
  return report.status === 'complete'
    ? 'Status: complete; every field is filled.'
    : `Status: INCOMPLETE; ${report.missing.length} field${report.missing.length === 1 ? '' : 's'} missing.`;
}

function supersedesLine(report: CisaReport): string | null {
  const previous = report.supersedes;
  if (previous === null) return null;

  return `Supplements version ${previous.version} (${previous.file}, SHA-256 ${previous.sha256}).`;
}

function auditCut(report: CisaReport): string | null {
  const shown = report.audit_trail.length;
  return report.audit_total > shown
    ? `The first ${shown} of ${report.audit_total} entries are listed.`
    : null;
}

function howToFill(key: string | null): string {
  return key === null
    ? 'comes from detections: run investigate or hunt'
    : `set ${key} in case.json`;
}

/** Renders the CISA report as Markdown; every value is escaped and kept on one line. */
export function renderCisaMarkdown(report: CisaReport): string {
  const lines = [`# ${title(report)}`, ''];
  lines.push(`Case: ${md(report.case_title)} (${md(report.case_id)})  `);
  lines.push(`Generated: ${report.generated_at}  `);
  lines.push(statusLine(report));
  const supersedes = supersedesLine(report);
  if (supersedes !== null) lines.push('', md(supersedes));
  if (report.warnings.length > 0) {
    lines.push('', '## Check before filing', '');
    for (const warning of report.warnings) lines.push(`- ${md(warning)}`);
  }
  lines.push('', '## Reporting deadlines', '');
  if (report.deadlines.length === 0) lines.push('No discovery time recorded: no clock runs.');
  for (const clock of report.deadlines) lines.push(`- ${clock.label}: ${describeDeadline(clock)}`);
  lines.push('');
  if (report.missing.length > 0) {
    lines.push('## Missing fields', '', '| field | section | how to fill |', '| --- | --- | --- |');
    for (const item of report.missing) {
      lines.push(`| ${md(item.label)} | ${md(item.section)} | ${md(howToFill(item.key))} |`);
    }
    lines.push('');
  }
  for (const section of report.sections) {
    lines.push(`## ${md(section.title)}`, '', '| field | value | source |', '| --- | --- | --- |');
    for (const f of section.fields) {
      const value = f.value === null ? '**MISSING**' : md(f.value);
      lines.push(`| ${md(f.label)} | ${value} | ${md(f.source)} |`);
    }
    lines.push('');
  }

  lines.push('## Appendix: audit trail', '');
  const cut = auditCut(report);
  if (cut !== null) lines.push(cut, '');
  lines.push('| time | actor | command | details |');
  lines.push('| --- | --- | --- | --- |');
  for (const entry of report.audit_trail) {
    lines.push(
      `| ${entry.time} | ${md(entry.actor)} | ${md(entry.command)} | ${md(entry.details)} |`,
    );
  }
  lines.push('');

  return lines.join('\n');
}

/** Renders the CISA report as a self-contained HTML page that loads nothing external. */
export function renderCisaHtml(report: CisaReport): string {
  const parts = [`<h1>${escapeText(title(report))}</h1>`];
  parts.push(
    `<p>Case: ${escapeText(report.case_title ?? '-')} (<code>${escapeText(report.case_id ?? '-')}</code>)<br>` +
      `Generated: ${escapeText(report.generated_at)}</p>`,
  );
  const statusClass = report.status === 'complete' ? 'status' : 'status missing';
  parts.push(`<p class="${statusClass}">${escapeText(statusLine(report))}</p>`);
  const supersedes = supersedesLine(report);
  if (supersedes !== null) parts.push(`<p>${escapeText(supersedes)}</p>`);
  if (report.warnings.length > 0) {
    parts.push('<h2>Check before filing</h2>');
    const items = report.warnings.map((warning) => `<li>${escapeText(warning)}</li>`);
    parts.push(`<ul class="warnings">${items.join('')}</ul>`);
  }
  parts.push('<h2>Reporting deadlines</h2>');
  parts.push(
    htmlTable(
      ['deadline', 'state'],
      report.deadlines.map((clock) => [clock.label, describeDeadline(clock)]),
    ),
  );
  if (report.missing.length > 0) {
    parts.push('<h2>Missing fields</h2>');
    parts.push(
      htmlTable(
        ['field', 'section', 'how to fill'],
        report.missing.map((item) => [item.label, item.section, howToFill(item.key)]),
      ),
    );
  }
  for (const section of report.sections) {
    parts.push(`<h2>${escapeText(section.title)}</h2>`);
    const rows = section.fields.map((f) => {
      const value =
        f.value === null ? '<td class="missing">MISSING</td>' : `<td>${escapeText(f.value)}</td>`;
      return `<tr><th>${escapeText(f.label)}</th>${value}<td>${escapeText(f.source ?? '-')}</td></tr>`;
    });
    const columns = '<colgroup><col class="label"><col><col class="source"></colgroup>';
    parts.push(`<table class="fields">${columns}<tbody>\n${rows.join('\n')}\n</tbody></table>`);
  }

  parts.push('<h2>Appendix: audit trail</h2>');
  const cut = auditCut(report);
  if (cut !== null) parts.push(`<p>${escapeText(cut)}</p>`);
  parts.push(
    htmlTable(
      ['time', 'actor', 'command', 'details'],
      report.audit_trail.map((e) => [e.time, e.actor, e.command, e.details]),
      { mono: [3], nowrap: [0] },
    ),
  );

  return htmlPage(title(report), parts.join('\n'));
}
