import { escapeHtml, sanitizeTerminal } from '../core/escape.ts';

// The pages have no script and no external resource. The policy blocks everything except the
// inline style, so markup that slipped past escaping still could not load or run anything.
const CSP = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE = `body{font:13px/1.45 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:0 0 1.2rem;width:100%}th,td{border:1px solid #ccc;
padding:3px 6px;text-align:left;vertical-align:top}th{background:#f0f0f0}
table.fields{table-layout:fixed}col.label{width:11rem}col.source{width:6.5rem}
td{word-break:break-word}.missing{color:#a00;font-weight:bold}.status{font-size:15px}
code{font-size:12px}@page{size:A4;margin:14mm}@media print{body{margin:0}h2{break-after:avoid}
tr{break-inside:avoid}}
body.wide table{font-size:10px}body.wide td,body.wide th{padding:1px 4px}
td.mono{font:9px/1.3 ui-monospace,monospace;word-break:break-all}td.nowrap{white-space:nowrap}`;

// A page of wide tables prints on landscape A4.
const WIDE_PAGE = '@page{size:A4 landscape;margin:10mm}';

/** Layout of a page: `wide` prints on landscape paper with smaller table text. */
export interface PageOptions {
  wide?: boolean;
}

/** Escapes text for HTML, with control characters shown as `\xNN`, as the other reports do. */
export const escapeText = (text: string): string => escapeHtml(sanitizeTerminal(text));

/** Column indexes of a table that get a layout of their own. */
export interface TableLayout {
  /** Small monospace text that may break anywhere, for hashes and JSON. */
  mono?: readonly number[];
  /** Text that never wraps, for short values such as times. */
  nowrap?: readonly number[];
}

/** Renders a table of escaped cells; `null` cells show a dash. */
export function htmlTable(
  header: readonly string[],
  rows: readonly (string | number | null)[][],
  layout: TableLayout = {},
): string {
  const head = header.map((name) => `<th>${escapeText(name)}</th>`).join('');
  const classes = (index: number): string =>
    layout.mono?.includes(index)
      ? ' class="mono"'
      : layout.nowrap?.includes(index)
        ? ' class="nowrap"'
        : '';
  const cell = (value: string | number | null, index: number): string =>
    `<td${classes(index)}>${value === null ? '-' : escapeText(String(value))}</td>`;
  const body = rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('\n');

  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * Wraps a body in a self-contained HTML page with a Content-Security-Policy that lets it load
 * nothing. `title` is escaped; `body` must already be escaped markup.
 */
export function htmlPage(title: string, body: string, options: PageOptions = {}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${escapeText(title)}</title>
<style>${STYLE}${options.wide ? WIDE_PAGE : ''}</style>
</head>
<body${options.wide ? ' class="wide"' : ''}>
${body}
</body>
</html>
`;
}
