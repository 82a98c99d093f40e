/**
 * Escaping for attacker-controlled log content at each place it is shown: HTML, Markdown,
 * terminals and CSV. Every renderer calls these; none writes log content raw.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

const MARKDOWN_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Escapes text for a Markdown line or table cell so that it renders as the same text and adds
 * no markup. `&`, `<` and `>` become entities, which stops inline HTML and autolinks. A
 * backslash goes before `|` (cell break), a backtick (code span), `[` and `]` (links and remote
 * images), and before a backslash, so that a backslash in the text cannot cancel the escape of
 * the character after it.
 * Quotes are left as they are, because Markdown gives them no meaning outside HTML.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[&<>]/g, (char) => MARKDOWN_ENTITIES[char] ?? char)
    .replace(/[\\|`[\]]/g, '\\$&');
}

/**
 * Inclusive code point ranges of the characters that `sanitizeTerminal` escapes: C0 controls
 * except tab and newline, DEL, and C1 controls (0x80-0x9f, which include the single-byte CSI
 * that some terminals honour). The SQL writer of the timeline CSV builds its escaping from the
 * same list.
 */
export const CONTROL_CHARACTER_RANGES: readonly (readonly [number, number])[] = [
  [0x00, 0x08],
  [0x0b, 0x1f],
  [0x7f, 0x9f],
];

const hex2 = (code: number): string => code.toString(16).padStart(2, '0');

const TERMINAL_CONTROLS = new RegExp(
  `[${CONTROL_CHARACTER_RANGES.map(([first, last]) => `\\x${hex2(first)}-\\x${hex2(last)}`).join('')}]`,
  'g',
);

/** Returns the visible `\xNN` escape that replaces the control character `code`. */
export function controlEscape(code: number): string {
  return `\\x${hex2(code)}`;
}

/**
 * Inclusive code point ranges of the characters that reorder or break the displayed text
 * without being controls: directional marks, the Unicode line and paragraph separators,
 * bidirectional embeddings and overrides, and isolates. The SQL writer of the timeline CSV
 * builds its escaping from the same list.
 */
export const LAYOUT_CHARACTER_RANGES: readonly (readonly [number, number])[] = [
  [0x200e, 0x200f],
  [0x2028, 0x202e],
  [0x2066, 0x2069],
];

const LAYOUT_CHARACTERS = new RegExp(
  `[${LAYOUT_CHARACTER_RANGES.map(([first, last]) => `\\u${first.toString(16)}-\\u${last.toString(16)}`).join('')}]`,
  'g',
);

/** Returns the visible `\u{NNNN}` escape that replaces the layout character `code`. */
export function layoutEscape(code: number): string {
  return `\\u{${code.toString(16)}}`;
}

/** Replaces the C0 and C1 control characters with visible `\xNN` escapes. */
function escapeControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (char) => controlEscape(char.charCodeAt(0)));
}

/**
 * Makes text safe for a terminal: every control character, including the ESC that starts ANSI
 * sequences, becomes a visible `\xNN` escape, and every character that reorders or breaks the
 * displayed line (a right-to-left override, U+2028) a visible `\u{NNNN}` escape. Tab and
 * newline are kept.
 */
export function sanitizeTerminal(text: string): string {
  return escapeControls(text).replace(LAYOUT_CHARACTERS, (char) =>
    layoutEscape(char.charCodeAt(0)),
  );
}

/** Like `sanitizeTerminal`, but also escapes tab and newline, for one-line table cells. */
export function sanitizeTerminalLine(text: string): string {
  return sanitizeTerminal(text).replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/**
 * Inclusive code point ranges that CSV cells escape: those of `sanitizeTerminal` and the tab.
 * A tab, like a carriage return, starts a formula in some spreadsheets (OWASP's CSV injection
 * guidance lists both), and a raw tab splits a cell when the file is read as tab-separated.
 * Newline stays, inside the quotes of its cell. The SQL writer of the timeline CSV builds its
 * escaping from the same list.
 */
export const CSV_CONTROL_RANGES: readonly (readonly [number, number])[] = [
  [0x00, 0x09],
  [0x0b, 0x1f],
  [0x7f, 0x9f],
];

const CSV_CONTROLS = new RegExp(
  `[${CSV_CONTROL_RANGES.map(([first, last]) => `\\x${hex2(first)}-\\x${hex2(last)}`).join('')}]`,
  'g',
);

/** First characters that make a spreadsheet read a cell as a formula. */
export const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Formats one CSV cell (RFC 4180 quoting). Control characters, tab included, become `\xNN`
 * escapes (`CSV_CONTROL_RANGES`), so printing the file cannot drive the terminal. Characters that
 * reorder the text (`LAYOUT_CHARACTER_RANGES`) become `\u{NNNN}`, so a spreadsheet shows a
 * value such as `admin\u{202e}txt.exe` in its stored order. A text cell
 * that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return)
 * gets a leading apostrophe. An empty string and `null` both give an empty cell.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';

  let text = String(value)
    .replace(CSV_CONTROLS, (char) => controlEscape(char.charCodeAt(0)))
    .replace(LAYOUT_CHARACTERS, (char) => layoutEscape(char.charCodeAt(0)));
  if (typeof value === 'string' && FORMULA_START.test(value)) text = `'${text}`;
  if (/[",\r\n]/.test(text)) text = `"${text.replace(/"/g, '""')}"`;

  return text;
}
