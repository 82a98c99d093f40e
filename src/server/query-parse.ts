/**
 * Parser of the workbench query language: `field:value` terms, `*` and `?` wildcards, quoted
 * values, comparisons (`field>=value`), ranges (`field:low..high`), AND, OR, NOT, `-term` and
 * parentheses. Adjacent terms combine with AND; AND binds tighter than OR.
 */
import { CloudcaseError, EXIT } from '../core/errors.ts';

/** Maximum query length in characters. */
export const MAX_QUERY_LENGTH = 2000;
/** Maximum number of terms in one query. */
export const MAX_TERMS = 64;
/** Maximum nesting of parentheses and NOT. */
export const MAX_DEPTH = 32;

/** Comparison of a term. `:` is equality or pattern match, `..` a range. */
export type TermOperator = ':' | '>' | '>=' | '<' | '<=';

/** A parsed query. */
export type QueryNode =
  | { type: 'and'; children: QueryNode[] }
  | { type: 'or'; children: QueryNode[] }
  | { type: 'not'; child: QueryNode }
  | {
      type: 'term';
      field: string | null;
      op: TermOperator;
      value: string;
      quoted: boolean;
      /** Character offset of the term in the query. */
      at: number;
    };

/** A query that cannot be parsed or compiled; `position` is the character offset of the problem. */
export class QueryError extends CloudcaseError {
  readonly position: number;

  constructor(message: string, position: number) {
    super('invalid_query', message, EXIT.usage);
    this.position = position;
  }
}

type Token =
  | { type: '(' | ')' | 'AND' | 'OR' | 'NOT'; at: number }
  | { type: 'term'; at: number; node: QueryNode & { type: 'term' } };

const FIELD_PREFIX = /^([A-Za-z_][\w.]*)(>=|<=|>|<|:)/;

/** Parses a query; an empty query returns `null`. Raises `QueryError` with the position. */
export function parseQuery(text: string): QueryNode | null {
  if (text.length > MAX_QUERY_LENGTH) {
    throw new QueryError(`query is longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  }
  const tokens = tokenize(text);
  if (tokens.length === 0) return null;
  if (tokens.filter((t) => t.type === 'term').length > MAX_TERMS) {
    throw new QueryError(`query has more than ${MAX_TERMS} terms`, 0);
  }

  const parser = new Parser(tokens, text.length);
  const node = parser.parseOr(0);
  parser.expectEnd();
  return node;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ type: char, at: i });
      i += 1;
    } else if (char === '-' && i + 1 < text.length && !/[\s)]/.test(text[i + 1] as string)) {
      tokens.push({ type: 'NOT', at: i });
      i += 1;
    } else {
      i = readTerm(text, i, tokens);
    }
  }
  return tokens;
}

// Reads one term from `start`: an optional field prefix, then a quoted or bare value.
function readTerm(text: string, start: number, tokens: Token[]): number {
  const prefix = FIELD_PREFIX.exec(text.slice(start));
  let field: string | null = null;
  let op: TermOperator = ':';
  let i = start;
  if (prefix !== null) {
    field = prefix[1] as string;
    op = prefix[2] as TermOperator;
    i += prefix[0].length;
  }

  if (text[i] === '"') {
    const [value, end] = readQuoted(text, i);
    tokens.push({
      type: 'term',
      at: start,
      node: { type: 'term', field, op, value, quoted: true, at: start },
    });
    return end;
  }

  let end = i;
  while (end < text.length && !/[\s()]/.test(text[end] as string)) end += 1;
  const value = text.slice(i, end);
  if (field === null && (value === 'AND' || value === 'OR' || value === 'NOT')) {
    tokens.push({ type: value, at: start });
    return end;
  }
  if (value.length === 0) throw new QueryError(`field ${field} has no value`, start);

  tokens.push({
    type: 'term',
    at: start,
    node: { type: 'term', field, op, value, quoted: false, at: start },
  });
  return end;
}

function readQuoted(text: string, start: number): [string, number] {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '"') return [value, i + 1];
    if (char === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else {
      value += char;
      i += 1;
    }
  }
  throw new QueryError('quoted value is not closed; add a closing "', start);
}

class Parser {
  readonly #tokens: Token[];
  readonly #length: number;
  #next = 0;

  constructor(tokens: Token[], length: number) {
    this.#tokens = tokens;
    this.#length = length;
  }

  parseOr(depth: number): QueryNode {
    const children = [this.#parseAnd(depth)];
    while (this.#peek()?.type === 'OR') {
      this.#next += 1;
      children.push(this.#parseAnd(depth));
    }
    return children.length === 1 ? (children[0] as QueryNode) : { type: 'or', children };
  }

  expectEnd(): void {
    const token = this.#peek();
    if (token !== undefined) throw new QueryError(`unexpected ${token.type}`, token.at);
  }

  #parseAnd(depth: number): QueryNode {
    const children = [this.#parseNot(depth)];
    for (;;) {
      const token = this.#peek();
      if (token === undefined || token.type === ')' || token.type === 'OR') break;
      if (token.type === 'AND') this.#next += 1;
      children.push(this.#parseNot(depth));
    }
    return children.length === 1 ? (children[0] as QueryNode) : { type: 'and', children };
  }

  #parseNot(depth: number): QueryNode {
    if (depth > MAX_DEPTH) {
      throw new QueryError(`query nests deeper than ${MAX_DEPTH} levels`, this.#peek()?.at ?? 0);
    }
    const token = this.#peek();
    if (token === undefined)
      throw new QueryError('query ends where a term is expected', this.#length);

    this.#next += 1;
    if (token.type === 'NOT') return { type: 'not', child: this.#parseNot(depth + 1) };
    if (token.type === 'term') return token.node;
    if (token.type === '(') {
      const inner = this.parseOr(depth + 1);
      if (this.#peek()?.type !== ')') {
        throw new QueryError('parenthesis is not closed; add a )', token.at);
      }
      this.#next += 1;
      return inner;
    }
    throw new QueryError(`unexpected ${token.type} where a term is expected`, token.at);
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#next];
  }
}
