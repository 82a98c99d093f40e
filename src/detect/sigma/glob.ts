/**
 * Whole-text matching of Sigma wildcard patterns without regular expressions. A user pattern
 * such as `*a*a*a*b` would make a backtracking regex engine run in polynomial or exponential
 * time; this matcher backtracks only to the last `*`, so it runs in O(text × pattern) at worst.
 */
import type { Pattern } from './model.ts';

/** A compiled wildcard pattern: a predicate over (already case-folded) text. */
export type TextPredicate = (text: string) => boolean;

/** Compiles a pattern into the fastest predicate its shape allows. */
export function compileGlob(pattern: Pattern): TextPredicate {
  const parts = pattern.parts;
  const only = parts[0];
  if (parts.length === 0) return (text) => text === '';
  if (parts.length === 1 && only?.kind === 'text') return (text) => text === only.text;
  if (parts.length === 1 && only?.kind === 'any') return () => true;

  const middle = parts[1];
  if (parts.length === 3 && only?.kind === 'any' && parts[2]?.kind === 'any') {
    if (middle?.kind === 'text') return (text) => text.includes(middle.text);
  }
  if (parts.length === 2 && only?.kind === 'text' && middle?.kind === 'any') {
    return (text) => text.startsWith(only.text);
  }
  if (parts.length === 2 && only?.kind === 'any' && middle?.kind === 'text') {
    return (text) => text.endsWith(middle.text);
  }

  const tokens = toTokens(pattern);
  return (text) => matchTokens(tokens, text);
}

// Each token is one pattern character: a literal character, '\0any' for `*` or '\0one' for `?`.
// Code points are kept whole so `?` matches one character even outside the BMP.
type Token = string;
const ANY = '\u0000any';
const ONE = '\u0000one';

function toTokens(pattern: Pattern): Token[] {
  const tokens: Token[] = [];
  for (const part of pattern.parts) {
    if (part.kind === 'any') tokens.push(ANY);
    else if (part.kind === 'one') tokens.push(ONE);
    else tokens.push(...Array.from(part.text));
  }
  return tokens;
}

function matchTokens(tokens: Token[], input: string): boolean {
  const text = Array.from(input);
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;

  while (t < text.length) {
    const token = tokens[p];
    if (token !== undefined && token !== ANY && (token === ONE || token === text[t])) {
      t++;
      p++;
    } else if (token === ANY) {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      // Let the last `*` swallow one more character and retry from there.
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (tokens[p] === ANY) p++;

  return p === tokens.length;
}
