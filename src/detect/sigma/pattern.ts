/**
 * Sigma string values: `*` and `?` are wildcards, and a backslash escapes only `*`, `?` and
 * itself. Any other backslash is literal, so Windows paths such as `C:\Windows` need no escaping.
 */
import type { Pattern, PatternPart } from './model.ts';

/** Parses a Sigma string value into literal text and wildcards. */
export function parsePattern(value: string): Pattern {
  const parts: PatternPart[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
  };

  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    const next = value[i + 1];
    if (char === '\\' && (next === '*' || next === '?' || next === '\\')) {
      text += next;
      i++;
    } else if (char === '*' || char === '?') {
      flush();
      parts.push({ kind: char === '*' ? 'any' : 'one' });
    } else {
      text += char;
    }
  }
  flush();

  return { parts };
}

/** A pattern matching exactly the given text, with no wildcards. */
export function literalPattern(text: string): Pattern {
  return { parts: text === '' ? [] : [{ kind: 'text', text }] };
}

/** Whether the pattern has no wildcards, so it matches one exact text. */
export function isLiteral(pattern: Pattern): boolean {
  return pattern.parts.every((part) => part.kind === 'text');
}

/** The text of a pattern without wildcards. */
export function literalText(pattern: Pattern): string {
  return pattern.parts.map((part) => (part.kind === 'text' ? part.text : '')).join('');
}

/** Adds a leading and/or trailing `*`, as the contains/startswith/endswith modifiers do. */
export function widenPattern(pattern: Pattern, before: boolean, after: boolean): Pattern {
  const parts = [...pattern.parts];
  if (before && parts[0]?.kind !== 'any') parts.unshift({ kind: 'any' });
  if (after && parts.at(-1)?.kind !== 'any') parts.push({ kind: 'any' });
  return { parts };
}

/** Rewrites the literal text of a pattern, keeping its wildcards. */
export function mapPatternText(pattern: Pattern, map: (text: string) => string): Pattern {
  return {
    parts: pattern.parts.map((part) =>
      part.kind === 'text' ? { kind: 'text', text: map(part.text) } : part,
    ),
  };
}
