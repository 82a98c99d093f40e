/** Renders the attack vector and chain section for `report.md` and `report.html`. */
import {
  escapeHtml,
  escapeMarkdown,
  sanitizeTerminal,
  sanitizeTerminalLine,
} from '../core/escape.ts';
import {
  type AttackSection,
  COMPROMISE_COLUMNS,
  compromiseCells,
  VECTOR_COLUMNS,
  vectorCells,
} from './attack-vector.ts';

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

/** Renders the section as Markdown lines, heading included. */
export function attackMarkdown(section: AttackSection | undefined): string[] {
  if (section === undefined) return [];
  if (section.compromises.length === 0) return ['## Attack vector and chain', '', NOTHING, ''];

  return [
    '## Attack vector and chain',
    '',
    ...mdTable(COMPROMISE_COLUMNS, section.compromises.map(compromiseCells)),
    '',
    '### Initial access',
    '',
    ...mdTable(VECTOR_COLUMNS, section.vectors.map(vectorCells)),
    '',
    '### Attack chain',
    '',
    ...section.narrative.map((sentence) => `- ${md(sentence)}`),
    '',
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
<h3>Initial access</h3>
${htmlTable(VECTOR_COLUMNS, section.vectors.map(vectorCells))}
<h3>Attack chain</h3>
<ol>
${items}
</ol>
`;
}
