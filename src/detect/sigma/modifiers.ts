/**
 * Sigma value modifiers (Sigma 2.1 modifiers appendix): turns a field's modifier chain and its
 * YAML values into value tests. Encodings and `windash` run here, once per rule.
 */
import { RE2JS } from 're2js';
import { parseCidr } from './cidr.ts';
import {
  base64,
  base64Offset,
  type ChainValue,
  chainText,
  utf16,
  utf16be,
  utf16le,
  windash,
} from './encodings.ts';
import type { CompareOp, FieldItem, TimePart, ValueMatcher, ValueTest } from './model.ts';
import { literalPattern, parsePattern, widenPattern } from './pattern.ts';

/** Every modifier this engine supports. */
export const KNOWN_MODIFIERS = new Set([
  'contains',
  'startswith',
  'endswith',
  'all',
  'cased',
  're',
  'i',
  'm',
  's',
  'cidr',
  'base64',
  'base64offset',
  'wide',
  'utf16le',
  'utf16be',
  'utf16',
  'windash',
  'exists',
  'gt',
  'gte',
  'lt',
  'lte',
  'neq',
  'fieldref',
  'expand',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
]);

const ENCODERS: Record<string, (value: ChainValue) => ChainValue[]> = {
  base64,
  base64offset: base64Offset,
  wide: utf16le,
  utf16le,
  utf16be,
  utf16,
};

const COMPARE_OPS = new Set<string>(['gt', 'gte', 'lt', 'lte']);
const TIME_PARTS = new Set<string>(['minute', 'hour', 'day', 'week', 'month', 'year']);
const POSITIONS = new Set(['contains', 'startswith', 'endswith']);

/** A problem with a modifier chain or a value, reported by the caller with its path. */
export interface ModifierProblem {
  code: string;
  message: string;
  /** Set for problems that do not keep the rule from loading. */
  warning?: true;
}

/** YAML scalar values a detection item may hold. */
export type RawValue = string | number | boolean | null;

/**
 * Builds the field item for one detection key (`field|mod1|mod2`) and its values. Problems go
 * to `report`; the item is returned even when some values were rejected, so every problem of a
 * rule is found in one pass.
 */
export function buildFieldItem(
  field: string | null,
  modifiers: string[],
  values: RawValue[],
  report: (problem: ModifierProblem) => void,
): FieldItem {
  const unknown = modifiers.filter((modifier) => !KNOWN_MODIFIERS.has(modifier));
  for (const modifier of unknown) {
    report({ code: 'unknown_modifier', message: `Unknown modifier "${modifier}".` });
  }
  checkCombination(modifiers, values, report);

  const join = modifiers.includes('all') ? 'all' : 'any';
  const matchers =
    unknown.length > 0 ? [] : values.flatMap((value) => valueMatchers(modifiers, value, report));

  return { kind: 'field', field, modifiers, join, values: matchers };
}

function checkCombination(
  modifiers: string[],
  values: RawValue[],
  report: (problem: ModifierProblem) => void,
): void {
  const has = (name: string) => modifiers.includes(name);
  const positions = modifiers.filter((modifier) => POSITIONS.has(modifier));
  if (positions.length > 1) {
    report({
      code: 'invalid_modifier_combination',
      message: `Modifiers ${positions.join(', ')} exclude each other; use one.`,
    });
  }
  for (const sub of ['i', 'm', 's']) {
    if (has(sub) && !has('re')) {
      report({
        code: 'invalid_modifier_combination',
        message: `Modifier "${sub}" is a sub-modifier of "re" and needs it.`,
      });
    }
  }
  if (has('re') && (positions.length > 0 || modifiers.some((m) => m in ENCODERS))) {
    report({
      code: 'invalid_modifier_combination',
      message: 'Modifier "re" cannot be combined with position or encoding modifiers.',
    });
  }
  if (has('all') && values.length < 2) {
    // Sigma 2.1 forbids `all` on a single value; it still evaluates the same, so only warn.
    report({
      code: 'all_single_value',
      message: 'Modifier "all" on a single value has no effect.',
      warning: true,
    });
  }
}

function valueMatchers(
  modifiers: string[],
  value: RawValue,
  report: (problem: ModifierProblem) => void,
): ValueMatcher[] {
  const negate = modifiers.includes('neq');
  const tests = valueTests(modifiers, value, report);
  return tests.map((test) => ({ test, negate }));
}

function valueTests(
  modifiers: string[],
  value: RawValue,
  report: (problem: ModifierProblem) => void,
): ValueTest[] {
  const has = (name: string) => modifiers.includes(name);

  if (has('exists')) return existsTest(value, report);
  if (value === null) return [{ kind: 'null' }];
  if (has('expand')) return placeholderTest(modifiers, value, report);
  if (has('fieldref')) return [{ kind: 'fieldref', field: String(value), cased: has('cased') }];

  const time = modifiers.find((modifier) => TIME_PARTS.has(modifier));
  const compare = modifiers.find((modifier) => COMPARE_OPS.has(modifier)) as CompareOp | undefined;
  if (time !== undefined || compare !== undefined) {
    return compareTest(time as TimePart | undefined, compare ?? 'eq', value, report);
  }
  if (has('re')) return regexTest(modifiers, value, report);
  if (has('cidr')) return cidrTest(value, report);

  return stringTests(modifiers, value, report);
}

function existsTest(value: RawValue, report: (problem: ModifierProblem) => void): ValueTest[] {
  if (typeof value !== 'boolean') {
    report({ code: 'invalid_value', message: 'Modifier "exists" needs true or false.' });
    return [];
  }
  return [{ kind: 'exists', present: value }];
}

function placeholderTest(
  modifiers: string[],
  value: string | number | boolean,
  report: (problem: ModifierProblem) => void,
): ValueTest[] {
  const match = /^%([^%]+)%$/.exec(String(value));
  if (!match) {
    report({ code: 'invalid_value', message: 'Modifier "expand" needs a %placeholder% value.' });
    return [];
  }
  const rest = modifiers.filter((modifier) => modifier !== 'expand');
  return [{ kind: 'placeholder', name: match[1]!, modifiers: rest }];
}

function compareTest(
  part: TimePart | undefined,
  op: CompareOp,
  value: string | number | boolean,
  report: (problem: ModifierProblem) => void,
): ValueTest[] {
  const number = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'boolean' || !Number.isFinite(number) || String(value).trim() === '') {
    report({ code: 'invalid_value', message: `Modifier "${part ?? op}" needs a number.` });
    return [];
  }
  if (part !== undefined) return [{ kind: 'time', part, op, value: number }];
  return [{ kind: 'compare', op, value: number }];
}

function regexTest(
  modifiers: string[],
  value: string | number | boolean,
  report: (problem: ModifierProblem) => void,
): ValueTest[] {
  const source = String(value);
  const flags = {
    i: modifiers.includes('i'),
    m: modifiers.includes('m'),
    s: modifiers.includes('s'),
  };
  try {
    RE2JS.compile(source);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    report({ code: 'invalid_regex', message: `Invalid or unsupported RE2 regex: ${reason}` });
    return [];
  }
  return [{ kind: 'regex', source, flags }];
}

function cidrTest(value: string | number | boolean, report: (problem: ModifierProblem) => void) {
  const network = String(value);
  if (parseCidr(network) === null) {
    report({ code: 'invalid_cidr', message: `Invalid CIDR network "${network}".` });
    return [];
  }
  return [{ kind: 'cidr', network } satisfies ValueTest];
}

function stringTests(
  modifiers: string[],
  value: string | number | boolean,
  report: (problem: ModifierProblem) => void,
): ValueTest[] {
  const cased = modifiers.includes('cased');
  const transforms = modifiers.filter((modifier) => modifier in ENCODERS || modifier === 'windash');
  if (transforms.length === 0 && typeof value !== 'string' && !hasPosition(modifiers)) {
    return [{ kind: 'literal', value }];
  }

  const text = String(value);
  let chain: ChainValue[] = [{ text }];
  const encoded = transforms.some((modifier) => modifier in ENCODERS);
  if (encoded && /(?<!\\)[*?]/.test(text)) {
    report({
      code: 'invalid_value',
      message: 'Encoding modifiers cannot encode a value with wildcards.',
    });
    return [];
  }
  for (const modifier of transforms) {
    const next = applyTransform(modifier, chain);
    if (next === null) {
      report({ code: 'too_many_permutations', message: 'Too many flags for "windash".' });
      return [];
    }
    chain = next;
  }

  const before = modifiers.includes('contains') || modifiers.includes('endswith');
  const after = modifiers.includes('contains') || modifiers.includes('startswith');
  return chain.map((item) => {
    const base = encoded ? literalPattern(chainText(item)) : parsePattern(chainText(item));
    // Base64 text is case-sensitive by nature, so encoded values always compare cased.
    return { kind: 'pattern', pattern: widenPattern(base, before, after), cased: cased || encoded };
  });
}

function hasPosition(modifiers: string[]): boolean {
  return modifiers.some((modifier) => POSITIONS.has(modifier));
}

function applyTransform(modifier: string, chain: ChainValue[]): ChainValue[] | null {
  if (modifier === 'windash') {
    const out: ChainValue[] = [];
    for (const value of chain) {
      const variants = windash(value);
      if (variants === null) return null;
      out.push(...variants);
    }
    return out;
  }
  return chain.flatMap(ENCODERS[modifier]!);
}
