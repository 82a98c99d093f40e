/**
 * The SQL backend of the Sigma engine: compiles a validated detection rule into a boolean SQL
 * expression with the same result as the in-memory matcher (`../sigma/compile.ts`) on every
 * record. Rule values reach SQL only as literals built by the dialect. Where SQL cannot give
 * the in-memory result, the rule is refused with a reason code instead.
 */
import { type CidrNetwork, parseCidr } from '../sigma/cidr.ts';
import type {
  CompareOp,
  ConditionNode,
  DetectionRule,
  FieldItem,
  SearchNode,
  ValueMatcher,
  ValueTest,
} from '../sigma/model.ts';
import { buildFieldItem } from '../sigma/modifiers.ts';
import { mapPatternText } from '../sigma/pattern.ts';
import type { SqlDialect } from './dialect.ts';
import type { FieldSource, ValueKind } from './fields.ts';

/** Why the SQL backend cannot compile a rule: a stable code and a message. */
export interface SqlRefusal {
  code: string;
  message: string;
}

/** Options for compiling one rule. */
export interface SqlCompileOptions {
  /** Maps a Sigma field name to the raw record's field name; identity when absent. */
  mapField?: (field: string) => string;
  /** Values of `%name%` placeholders used with the `expand` modifier. */
  placeholders?: Readonly<Record<string, readonly string[]>>;
}

class Refusal extends Error {
  readonly refusal: SqlRefusal;

  constructor(code: string, message: string) {
    super(message);
    this.refusal = { code, message };
  }
}

/**
 * Compiles a rule's condition into a boolean SQL expression over the field columns that
 * `fields` provides. Returns the expression, or why the rule cannot be compiled.
 */
export function compileConditionSql(
  rule: DetectionRule,
  dialect: SqlDialect,
  fields: FieldSource,
  options: SqlCompileOptions = {},
): string | SqlRefusal {
  try {
    const compiler = new Compiler(dialect, fields, options);
    const searches = new Map<string, string>();
    for (const [name, node] of Object.entries(rule.searches)) {
      searches.set(name, compiler.search(node));
    }
    return compiler.condition(rule.condition, searches);
  } catch (error) {
    if (error instanceof Refusal) return error.refusal;
    throw error;
  }
}

const COMPARE_SQL: Record<CompareOp, string> = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

class Compiler {
  readonly #d: SqlDialect;
  readonly #fields: FieldSource;
  readonly #options: SqlCompileOptions;

  constructor(dialect: SqlDialect, fields: FieldSource, options: SqlCompileOptions) {
    this.#d = dialect;
    this.#fields = fields;
    this.#options = options;
  }

  condition(node: ConditionNode, searches: Map<string, string>): string {
    switch (node.kind) {
      case 'search': {
        const search = searches.get(node.name);
        if (search === undefined) {
          throw new Refusal('unknown_identifier', `No search "${node.name}".`);
        }
        return search;
      }
      case 'not':
        return `(NOT ${this.condition(node.child, searches)})`;
      case 'and':
        return joinAll(
          node.children.map((child) => this.condition(child, searches)),
          'AND',
        );
      case 'or':
        return joinAll(
          node.children.map((child) => this.condition(child, searches)),
          'OR',
        );
      case 'at-least': {
        const counts = node.children.map(
          (child) => `CAST(${this.condition(child, searches)} AS INTEGER)`,
        );
        return `((${counts.join(' + ')}) >= ${node.min})`;
      }
    }
  }

  search(node: SearchNode): string {
    if (node.kind === 'and')
      return joinAll(
        node.children.map((c) => this.search(c)),
        'AND',
      );
    if (node.kind === 'or')
      return joinAll(
        node.children.map((c) => this.search(c)),
        'OR',
      );
    return this.#item(this.#expandPlaceholders(node));
  }

  #item(item: FieldItem): string {
    const field = this.#field(item.field);
    const tests = item.values.map((matcher) => `coalesce(${this.#matcher(field, matcher)}, FALSE)`);
    return joinAll(tests, item.join === 'all' ? 'AND' : 'OR');
  }

  #field(name: string | null): string | null {
    if (name === null) return null;
    const mapped = this.#options.mapField?.(name) ?? name;
    checkText(mapped);
    return mapped;
  }

  #expandPlaceholders(item: FieldItem): FieldItem {
    if (!item.values.some((matcher) => matcher.test.kind === 'placeholder')) return item;

    const values = item.values.flatMap((matcher): ValueMatcher[] => {
      const test = matcher.test;
      if (test.kind !== 'placeholder') return [matcher];
      const list = this.#options.placeholders?.[test.name];
      if (list === undefined) {
        throw new Refusal(
          'unresolved_placeholder',
          `Placeholder %${test.name}% has no values; give them in a placeholders file (--placeholders FILE).`,
        );
      }
      const expanded = buildFieldItem(item.field, test.modifiers, [...list], (problem) => {
        if (!problem.warning) throw new Refusal(problem.code, problem.message);
      });
      return expanded.values;
    });
    return { ...item, values };
  }

  #matcher(field: string | null, matcher: ValueMatcher): string {
    const fields = this.#fields;
    const test = matcher.test;
    if (test.kind === 'null') return fields.allNull(field);
    if (test.kind === 'exists') {
      const present = fields.present(field);
      return test.present ? present : `(NOT ${present})`;
    }
    if (test.kind === 'fieldref') {
      const other = this.#field(test.field);
      const { nonEmpty, equal } = fields.overlap(field, other, test.cased ? 'texts' : 'lowers');
      return `(${nonEmpty} AND ${matcher.negate ? `NOT ${equal}` : equal})`;
    }

    const { kind, predicate } = this.#valueTest(test);
    const any = fields.any(field, kind, predicate);
    if (!matcher.negate) return any;
    // `neq` needs a value to compare: a missing or null field is not "different".
    return `(${fields.nonnull(field)} AND NOT ${any})`;
  }

  /** The field kind a test reads and its predicate over one element of that list. */
  #valueTest(test: ValueTest): { kind: ValueKind; predicate: (value: string) => string } {
    const d = this.#d;
    switch (test.kind) {
      case 'pattern': {
        const pattern = test.cased
          ? test.pattern
          : mapPatternText(test.pattern, (text) => text.toLowerCase());
        for (const part of pattern.parts) if (part.kind === 'text') checkText(part.text);
        return {
          kind: test.cased ? 'texts' : 'lowers',
          predicate: (t) => d.matchPattern(t, pattern),
        };
      }
      case 'literal': {
        const text = d.stringLiteral(String(test.value).toLowerCase());
        return { kind: 'literals', predicate: (t) => `${t} = ${text}` };
      }
      case 'regex':
        checkText(test.source);
        return { kind: 'texts', predicate: (t) => d.regexSearch(t, test.source, test.flags) };
      case 'cidr':
        return { kind: 'strings', predicate: this.#cidr(test.network) };
      case 'compare': {
        const bound = d.numberLiteral(test.value);
        return { kind: 'numbers', predicate: (n) => `${n} ${COMPARE_SQL[test.op]} ${bound}` };
      }
      case 'time': {
        const bound = d.numberLiteral(test.value);
        const op = COMPARE_SQL[test.op];
        return { kind: 'instants', predicate: (t) => `${d.datePart(t, test.part)} ${op} ${bound}` };
      }
      default:
        throw new Refusal('unsupported_value', `Value test "${test.kind}" cannot be compiled.`);
    }
  }

  #cidr(text: string): (value: string) => string {
    const network = parseCidr(text);
    if (network === null) throw new Refusal('invalid_cidr', 'Invalid CIDR network.');
    if (network.bits === 128) return (s) => ipv6InNetwork(this.#d, s, network);
    const low = Number(network.network);
    const high = low + 2 ** (32 - network.prefix) - 1;
    return (s) => `${this.#d.ipv4Number(s)} BETWEEN ${low} AND ${high}`;
  }
}

/**
 * Tests an IPv6 address against a network on hex text: the prefix's whole hex digits must be
 * equal, and a digit the prefix ends inside must be one of those that share its leading bits.
 */
function ipv6InNetwork(d: SqlDialect, text: string, network: CidrNetwork): string {
  const hex = d.ipv6Hex(text);
  const digits = network.network.toString(16).padStart(32, '0');
  const whole = Math.floor(network.prefix / 4);
  const partial = network.prefix % 4;
  const tests = [`${hex} IS NOT NULL`];
  if (whole > 0) tests.push(`starts_with(${hex}, ${d.stringLiteral(digits.slice(0, whole))})`);
  if (partial > 0) {
    const shift = 4 - partial;
    const wanted = Number.parseInt(digits[whole]!, 16) >> shift;
    const allowed = [...Array(16).keys()]
      .filter((digit) => digit >> shift === wanted)
      .map((digit) => d.stringLiteral(digit.toString(16)));
    tests.push(`substr(${hex}, ${whole + 1}, 1) IN (${allowed.join(', ')})`);
  }
  return `(${tests.join(' AND ')})`;
}

function joinAll(parts: string[], operator: 'AND' | 'OR'): string {
  if (parts.length === 0) return operator === 'AND' ? 'TRUE' : 'FALSE';
  if (parts.length === 1) return parts[0]!;
  return `(${parts.join(` ${operator} `)})`;
}

/**
 * Rejects text that SQL cannot hold as the in-memory matcher sees it: a lone UTF-16 surrogate
 * becomes U+FFFD on its way into the engine.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkText(text: string): void {
  if (!LONE_SURROGATE.test(text)) return;
  throw new Refusal('unsupported_text', 'A value or field name holds a lone UTF-16 surrogate.');
}
