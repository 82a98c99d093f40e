/** Renders the attack vector and chain section for `report.md` and `report.html`. */
import type { SourceUse } from '../analyze/scope/index.ts';
import {
  escapeHtml,
  escapeMarkdown,
  sanitizeTerminal,
  sanitizeTerminalLine,
} from '../core/escape.ts';
import {
  type AttackSection,
  CHANGE_COLUMNS,
  COMPROMISE_COLUMNS,
  changeCells,
  compromiseCells,
  READ_COLUMNS,
  readCells,
  VECTOR_COLUMNS,
  vectorCells,
} from './attack-vector.ts';
import { dataReadText, flowText } from './scope-amounts.ts';

type Cell = string | number | null;

const md = (value: Cell): string =>
  value === null ? '-' : escapeMarkdown(sanitizeTerminalLine(String(value)));

function mdTable(header: string[], rows: Cell[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.map(md).join(' | ')} |`),
  ];
}

const NOTHING = 'No credential has a detection of high severity or above.';
const NO_CHANGES = 'The compromised credentials changed nothing that the logs show.';

/** Sentences under the section's subheadings, the same in Markdown and HTML. */
function changesNote(section: AttackSection): string | null {
  if (section.change_count === 0) return NO_CHANGES;
  if (section.change_count <= section.changes.length) return null;
  return `The first ${section.changes.length} of ${section.change_count} changes; \`cloudcase scope --json\` lists up to 1,000 per credential.`;
}

function readsNote(section: AttackSection): string | null {
  if (section.data_read_count <= section.data_read.length) return null;
  return `The first ${section.data_read.length} of ${section.data_read_count} objects and secrets; \`cloudcase scope --json\` lists up to 1,000 per credential.`;
}

// One sentence per compromise whose scope left out the owner's usual sources.
function splitSummaries(section: AttackSection): string[] {
  const list = (uses: SourceUse[]) =>
    uses.map((use) => `${use.source ?? 'an unrecorded source'} (${use.events} events)`).join(', ');

  return section.compromises
    .filter((row) => row.usual_sources.length > 0)
    .map(
      (row) =>
        `${row.indicator.kind} ${row.indicator.value}: the intruder's ` +
        `${row.suspicious_sources.length === 1 ? 'source is' : 'sources are'} ` +
        `${list(row.suspicious_sources)}. The activity from its usual sources, ` +
        `${list(row.usual_sources)}, is left out of the scope.`,
    );
}

function readSummaries(section: AttackSection): string[] {
  return section.compromises.map((row) => {
    const flows = flowText(row.flow_totals);
    const sent = flows === null ? '' : `; network flows of its addresses: ${flows}`;
    return `${row.indicator.kind} ${row.indicator.value}: ${dataReadText(row.data_read_totals)}${sent}.`;
  });
}

/** Renders the section as Markdown lines, heading included. */
export function attackMarkdown(section: AttackSection | undefined): string[] {
  if (section === undefined) return [];
  if (section.compromises.length === 0) return ['## Attack vector and chain', '', NOTHING, ''];

  return [
    '## Attack vector and chain',
    '',
    ...mdTable(COMPROMISE_COLUMNS, section.compromises.map(compromiseCells)),
    '',
    ...splitMarkdown(section),
    '### Initial access',
    '',
    ...mdTable(VECTOR_COLUMNS, section.vectors.map(vectorCells)),
    '',
    ...changesMarkdown(section),
    ...readsMarkdown(section),
    '### Attack chain',
    '',
    ...section.narrative.map((sentence) => `- ${md(sentence)}`),
    '',
  ];
}

function changesMarkdown(section: AttackSection): string[] {
  const note = changesNote(section);
  const table =
    section.changes.length === 0
      ? []
      : [...mdTable(CHANGE_COLUMNS, section.changes.map(changeCells)), ''];

  return ['### Changes to roll back', '', ...table, ...(note === null ? [] : [md(note), ''])];
}

function readsMarkdown(section: AttackSection): string[] {
  const note = readsNote(section);
  const table =
    section.data_read.length === 0
      ? []
      : [...mdTable(READ_COLUMNS, section.data_read.map(readCells)), ''];

  return [
    '### Data read',
    '',
    ...readSummaries(section).map((line) => `- ${md(line)}`),
    '',
    ...table,
    ...(note === null ? [] : [md(note), '']),
  ];
}

const html = (value: Cell): string =>
  value === null ? '-' : escapeHtml(sanitizeTerminal(String(value)));

function htmlTable(header: string[], rows: Cell[][]): string {
  const head = header.map((name) => `<th>${html(name)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((value) => `<td>${html(value)}</td>`).join('')}</tr>`)
    .join('\n');

  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Renders the section as HTML, heading included. */
export function attackHtml(section: AttackSection | undefined): string {
  if (section === undefined) return '';
  if (section.compromises.length === 0)
    return `<h2>Attack vector and chain</h2>\n<p>${NOTHING}</p>\n`;

  const items = section.narrative.map((sentence) => `<li>${html(sentence)}</li>`).join('\n');
  return `<h2>Attack vector and chain</h2>
${htmlTable(COMPROMISE_COLUMNS, section.compromises.map(compromiseCells))}
${splitHtml(section)}<h3>Initial access</h3>
${htmlTable(VECTOR_COLUMNS, section.vectors.map(vectorCells))}
${changesHtml(section)}
${readsHtml(section)}
<h3>Attack chain</h3>
<ol>
${items}
</ol>
`;
}

function splitMarkdown(section: AttackSection): string[] {
  const lines = splitSummaries(section);
  return lines.length === 0 ? [] : [...lines.map((line) => `- ${md(line)}`), ''];
}

function splitHtml(section: AttackSection): string {
  const lines = splitSummaries(section);
  if (lines.length === 0) return '';
  return `<ul>\n${lines.map((line) => `<li>${html(line)}</li>`).join('\n')}\n</ul>\n`;
}

function changesHtml(section: AttackSection): string {
  const note = changesNote(section);
  const table =
    section.changes.length === 0 ? '' : htmlTable(CHANGE_COLUMNS, section.changes.map(changeCells));

  return `<h3>Changes to roll back</h3>\n${table}${note === null ? '' : `<p>${html(note)}</p>`}`;
}

function readsHtml(section: AttackSection): string {
  const note = readsNote(section);
  const items = readSummaries(section)
    .map((line) => `<li>${html(line)}</li>`)
    .join('\n');
  const table =
    section.data_read.length === 0 ? '' : htmlTable(READ_COLUMNS, section.data_read.map(readCells));

  return `<h3>Data read</h3>\n<ul>\n${items}\n</ul>\n${table}${note === null ? '' : `<p>${html(note)}</p>`}`;
}
