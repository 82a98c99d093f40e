/**
 * A text that every match of a simple regex contains, so a caller can skip the regex engine on
 * texts without it. A rule such as `userIdentity.arn|re: '.+:assumed-role/aws:.+'` has no
 * required value for the prefilter and runs on every event; most texts lack its literal.
 */

// Characters that stand for themselves in a regex, outside a character class.
const PLAIN = /[A-Za-z0-9 :/_@,=<>'"!%&~`-]/;
// Escaped characters that stand for themselves.
const ESCAPED = /[.\\/:\-_@$^*+?()[\]{}|]/;

/**
 * Returns the longest literal of a regex made only of literal characters, `.*` and `.+`, and
 * `^` and `$` at its ends, or null for any other regex or a case-insensitive one. Every match
 * contains the literal, because the regex is a plain sequence of those parts.
 */
export function requiredLiteral(source: string, caseInsensitive: boolean): string | null {
  if (caseInsensitive) return null;
  let longest = '';
  let run = '';
  let i = 0;
  if (source.startsWith('^')) i++;
  const end = source.endsWith('$') && !source.endsWith('\\$') ? source.length - 1 : source.length;
  while (i < end) {
    const char = source[i]!;
    const next = source[i + 1];
    if (char === '.' && (next === '*' || next === '+')) {
      run = '';
      i += 2;
      continue;
    }
    if (char === '\\' && next !== undefined && ESCAPED.test(next)) {
      run += next;
      i += 2;
    } else if (PLAIN.test(char)) {
      run += char;
      i++;
    } else {
      return null;
    }
    // A quantifier after a literal character makes it optional or repeated.
    const after = source[i];
    if (after === '*' || after === '+' || after === '?' || after === '{') return null;
    if (run.length > longest.length) longest = run;
  }
  return longest === '' ? null : longest;
}
