/**
 * Indents JSON text for reading without parsing it, so every number, string escape and key
 * order stays exactly as the record was read: `1e400` stays `1e400`, where `JSON.parse` would
 * make it `Infinity` and then `null`. One pass over the text, with output bounded by its size.
 */

/** Nesting depth past which lines are indented no further, so deep records stay readable. */
export const MAX_INDENT_DEPTH = 32;
/** Nesting depth past which the text is returned as it is. */
export const MAX_DEPTH = 1024;

const INDENTS = Array.from(
  { length: MAX_INDENT_DEPTH + 1 },
  (_, depth) => `\n${'  '.repeat(depth)}`,
);
const CLOSERS: Record<string, string> = { '{': '}', '[': ']' };

// Character codes of JSON whitespace and of the characters that end a number or literal.
const isWhitespace = (code: number) => code === 32 || code === 10 || code === 13 || code === 9;
const DELIMITER_CODES = new Uint8Array(128);
for (const char of ' \t\n\r,:[]{}"') DELIMITER_CODES[char.charCodeAt(0)] = 1;
const isDelimiter = (code: number) => code < 128 && DELIMITER_CODES[code] === 1;

/**
 * Returns the JSON text of an object or array with one member or element per line, indented by
 * two spaces a level, and with its tokens as written. Other text comes back unchanged: a bare
 * value, an unterminated string, unbalanced brackets, more than `MAX_DEPTH` levels, or text
 * whose indented form would exceed four times its length plus 64 KiB.
 */
export function indentJson(text: string): string {
  const parts: string[] = [];
  const closers: string[] = [];
  const budget = text.length * 4 + 65_536;
  let size = 0;
  // After `{` or `[`: the next token starts a new line unless it closes the empty container.
  let opened = false;
  let index = 0;
  let rootClosed = false;

  const emit = (part: string) => {
    parts.push(part);
    size += part.length;
  };
  const newline = () => emit(INDENTS[Math.min(closers.length, MAX_INDENT_DEPTH)] as string);
  const startValue = () => {
    if (opened) newline();
    opened = false;
  };

  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (isWhitespace(code)) {
      index += 1;
      continue;
    }
    const char = text[index] as string;
    // Only one object or array, the whole record, is indented.
    if (rootClosed || (closers.length === 0 && char !== '{' && char !== '[')) return text;
    if (char === '"') {
      const end = stringEnd(text, index);
      if (end < 0) return text;
      startValue();
      emit(text.slice(index, end));
      index = end;
    } else if (char === '{' || char === '[') {
      if (closers.length >= MAX_DEPTH) return text;
      startValue();
      emit(char);
      closers.push(CLOSERS[char] as string);
      opened = true;
      index += 1;
    } else if (char === '}' || char === ']') {
      if (closers.pop() !== char) return text;
      if (!opened) newline();
      opened = false;
      emit(char);
      index += 1;
      rootClosed = closers.length === 0;
    } else if (char === ',') {
      emit(',');
      newline();
      index += 1;
    } else if (char === ':') {
      emit(': ');
      index += 1;
    } else {
      let end = index + 1;
      while (end < text.length && !isDelimiter(text.charCodeAt(end))) end += 1;
      startValue();
      emit(text.slice(index, end));
      index = end;
    }
    if (size > budget) return text;
  }

  return closers.length === 0 ? parts.join('') : text;
}

/** Returns the index after the closing quote of the string starting at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === 92) index += 2;
    else if (code === 34) return index + 1;
    else index += 1;
  }
  return -1;
}
