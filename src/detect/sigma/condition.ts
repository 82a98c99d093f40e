/**
 * Parser of the Sigma condition expression: `and`, `or`, `not`, parentheses, `1 of sel*`,
 * `all of sel*`, `N of …` and `them`. Precedence is `not`, then `and`, then `or`. Sigma 1.x
 * pipe aggregations (`| count() by x > 5`, `| near`) are rejected: Sigma 2 expresses them as
 * correlation rules.
 */
import type { ConditionNode } from './model.ts';

/** A condition problem; the caller adds the file, line and field path. */
export interface ConditionProblem {
  code: 'condition_syntax' | 'unknown_identifier' | 'obsolete_aggregation' | 'condition_too_deep';
  message: string;
}

/** Thrown inside the parser only, and caught by `parseCondition`. */
class ConditionError extends Error {
  readonly problem: ConditionProblem;

  constructor(code: ConditionProblem['code'], message: string) {
    super(message);
    this.problem = { code, message };
  }
}

/**
 * Parses a condition over the given search identifiers. Returns the tree, or the problems that
 * stopped it: the first syntax error, or every unknown identifier.
 */
export function parseCondition(
  text: string,
  identifiers: readonly string[],
): { node: ConditionNode | null; problems: ConditionProblem[] } {
  const problems: ConditionProblem[] = [];
  if (/\|/.test(text) || isBareAggregation(text)) {
    const message =
      'Aggregations (count, min, max, avg, sum, near), with or without a pipe, are Sigma 1.x ' +
      'syntax; express them as a correlation rule.';
    return { node: null, problems: [{ code: 'obsolete_aggregation', message }] };
  }

  try {
    const parser = new Parser(tokenize(text), identifiers, problems);
    const node = parser.parse();
    return { node: problems.length > 0 ? null : node, problems };
  } catch (error) {
    if (error instanceof ConditionError) return { node: null, problems: [error.problem] };
    throw error;
  }
}

/**
 * Recognises a Sigma 1.x aggregation written without its pipe, such as
 * `selection and count(ip) by user > 5`: an aggregation function call, or a comparison with a
 * number, neither of which the Sigma 2 condition grammar has.
 */
function isBareAggregation(text: string): boolean {
  return /\b(count|min|max|avg|sum)\s*\(/i.test(text) || /(<|>|=)\s*-?\d+(\.\d+)?\s*$/.test(text);
}

/**
 * Deepest nesting of parentheses and `not` a condition may have. Real rules nest a few levels;
 * the bound keeps the parser and every backend that walks the tree within the call stack.
 */
export const MAX_CONDITION_DEPTH = 64;

function tokenize(text: string): string[] {
  return text.match(/[()]|[^\s()]+/g) ?? [];
}

class Parser {
  #position = 0;
  #depth = 0;
  readonly #tokens: string[];
  readonly #identifiers: readonly string[];
  readonly #problems: ConditionProblem[];

  constructor(tokens: string[], identifiers: readonly string[], problems: ConditionProblem[]) {
    this.#tokens = tokens;
    this.#identifiers = identifiers;
    this.#problems = problems;
  }

  parse(): ConditionNode {
    if (this.#tokens.length === 0) throw new ConditionError('condition_syntax', 'Empty condition.');

    const node = this.#or();
    const extra = this.#peek();
    if (extra !== undefined) {
      throw new ConditionError('condition_syntax', `Unexpected "${extra}" in condition.`);
    }
    return node;
  }

  #peek(): string | undefined {
    return this.#tokens[this.#position];
  }

  #keyword(word: string): boolean {
    if (this.#peek()?.toLowerCase() !== word) return false;
    this.#position++;
    return true;
  }

  #or(): ConditionNode {
    const children = [this.#and()];
    while (this.#keyword('or')) children.push(this.#and());
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  #and(): ConditionNode {
    const children = [this.#not()];
    while (this.#keyword('and')) children.push(this.#not());
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  #not(): ConditionNode {
    if (this.#keyword('not')) {
      this.#enter();
      const child = this.#not();
      this.#depth--;
      return { kind: 'not', child };
    }
    return this.#primary();
  }

  #enter(): void {
    this.#depth++;
    if (this.#depth > MAX_CONDITION_DEPTH) {
      const message = `The condition nests deeper than ${MAX_CONDITION_DEPTH} levels.`;
      throw new ConditionError('condition_too_deep', message);
    }
  }

  #primary(): ConditionNode {
    const token = this.#tokens[this.#position++];
    if (token === undefined) {
      throw new ConditionError('condition_syntax', 'Condition ends where a term is expected.');
    }
    if (token === '(') {
      this.#enter();
      const inner = this.#or();
      this.#depth--;
      if (this.#tokens[this.#position++] !== ')') {
        throw new ConditionError('condition_syntax', 'Missing ")" in condition.');
      }
      return inner;
    }
    if (this.#peek()?.toLowerCase() === 'of') {
      this.#position++;
      return this.#quantified(token);
    }
    if (['and', 'or', 'of', 'them', ')'].includes(token.toLowerCase())) {
      throw new ConditionError('condition_syntax', `Unexpected "${token}" in condition.`);
    }
    return this.#identifier(token);
  }

  #quantified(quantifier: string): ConditionNode {
    const target = this.#tokens[this.#position++];
    if (target === undefined || target === '(' || target === ')') {
      throw new ConditionError('condition_syntax', `"${quantifier} of" needs "them" or a name.`);
    }

    const names = this.#expand(target);
    const children = names.map((name): ConditionNode => ({ kind: 'search', name }));
    if (quantifier.toLowerCase() === 'all') return { kind: 'and', children };
    if (!/^[1-9]\d*$/.test(quantifier)) {
      throw new ConditionError('condition_syntax', `"${quantifier} of" needs "all" or a count.`);
    }

    const min = Number(quantifier);
    if (min === 1) return { kind: 'or', children };
    return { kind: 'at-least', min, children };
  }

  #expand(target: string): string[] {
    // `them` leaves out identifiers starting with `_`, which by convention are helpers.
    if (target.toLowerCase() === 'them') {
      const names = this.#identifiers.filter((name) => !name.startsWith('_'));
      if (names.length === 0) this.#unknown('"them" refers to no search identifier.');
      return names;
    }

    const pattern = wildcardRegex(target);
    const names = this.#identifiers.filter((name) => pattern.test(name));
    if (names.length === 0) this.#unknown(`"${target}" matches no search identifier.`);
    return names;
  }

  #identifier(token: string): ConditionNode {
    if (/[*?]/.test(token)) {
      throw new ConditionError(
        'condition_syntax',
        `Wildcard "${token}" is only allowed after "1 of" or "all of".`,
      );
    }
    if (!this.#identifiers.includes(token)) {
      this.#unknown(`Unknown search identifier "${token}".`);
    }
    return { kind: 'search', name: token };
  }

  #unknown(message: string): void {
    this.#problems.push({ code: 'unknown_identifier', message });
  }
}

// Identifier patterns hold only names and `*`; every other character is escaped, so the
// resulting regex cannot backtrack badly on the short identifier names it runs against.
function wildcardRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}
