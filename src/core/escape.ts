/**
 * Escaping for attacker-controlled log content at each place it is shown: HTML, terminals and
 * CSV. Every renderer calls these; none writes log content raw.
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

// C0 controls except tab and newline, DEL, and C1 controls (0x80-0x9f, which include the
// single-byte CSI that some terminals honour).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Makes text safe for a terminal: every control character, including the ESC that starts ANSI
 * sequences, becomes a visible `\xNN` escape. Tab and newline are kept.
 */
export function sanitizeTerminal(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (char) => {
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** Like `sanitizeTerminal`, but also escapes tab and newline, for one-line table cells. */
export function sanitizeTerminalLine(text: string): string {
  return sanitizeTerminal(text).replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/**
 * Formats one CSV cell (RFC 4180 quoting). A cell that a spreadsheet would run as a formula
 * (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading apostrophe.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';

  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  if (/[",\r\n]/.test(text)) text = `"${text.replace(/"/g, '""')}"`;

  return text;
}
