/**
 * The `correlation` section of a Sigma correlation rule (Sigma 2.1 correlation rules
 * specification): type, referenced rules, group-by fields, aliases, timespan and condition.
 */
import type { IssueSink } from './issues.ts';
import type { CorrelationRule, CorrelationType, CountCondition, RuleHeader } from './model.ts';

const TYPES: CorrelationType[] = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
];
const BOUNDS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const NEEDS_FIELD = new Set(['value_count', 'value_sum', 'value_avg', 'value_percentile']);

type Doc = Record<string, unknown>;

function isMap(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the correlation section of a document whose header is already parsed. */
export function parseCorrelation(
  doc: Doc,
  header: RuleHeader,
  sink: IssueSink,
): CorrelationRule | null {
  const section = doc.correlation;
  if (!isMap(section)) {
    sink.error('invalid_correlation', ['correlation'], '"correlation" must be a map.');
    return null;
  }

  const type = correlationType(section.type, sink);
  const rules = stringList(section.rules, 'rules', sink, true);
  const groupBy = stringList(section['group-by'], 'group-by', sink, false);
  const timespanMs = timespan(section.timespan, sink);
  const { condition, field } = countCondition(section.condition, type, rules.length, sink);
  const generate = doc.generate === true || section.generate === true;

  if (type === null || timespanMs === null || condition === null) return null;
  return {
    ...header,
    kind: 'correlation',
    type,
    rules,
    groupBy,
    aliases: aliases(section.aliases, sink),
    timespanMs,
    condition,
    field,
    generate,
  };
}

function correlationType(value: unknown, sink: IssueSink): CorrelationType | null {
  if (TYPES.includes(value as CorrelationType)) return value as CorrelationType;
  sink.error(
    'invalid_correlation_type',
    ['correlation', 'type'],
    `Correlation "type" must be one of ${TYPES.join(', ')}.`,
  );
  return null;
}

function stringList(value: unknown, key: string, sink: IssueSink, required: boolean): string[] {
  if ((value === undefined || value === null) && !required) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    return value;
  }

  const code = key === 'rules' ? 'missing_correlation_rules' : 'invalid_correlation';
  sink.error(code, ['correlation', key], `Correlation "${key}" must be a list of strings.`);
  return [];
}

/** Parses a Sigma timespan such as `90s`, `10m`, `1h` or `1d` into milliseconds. */
export function parseTimespan(value: unknown): number | null {
  const match = typeof value === 'string' ? /^(\d+)([smhd])$/.exec(value.trim()) : null;
  if (!match) return null;

  const amount = Number(match[1]);
  return amount > 0 ? amount * UNIT_MS[match[2]!]! : null;
}

function timespan(value: unknown, sink: IssueSink): number | null {
  const ms = parseTimespan(value);
  if (ms === null) {
    sink.error(
      'invalid_timespan',
      ['correlation', 'timespan'],
      'Correlation "timespan" must be a positive number and a unit s, m, h or d, such as 10m.',
    );
  }
  return ms;
}

function countCondition(
  value: unknown,
  type: CorrelationType | null,
  ruleCount: number,
  sink: IssueSink,
): { condition: CountCondition | null; field: string | null } {
  const path = ['correlation', 'condition'];
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  // Temporal correlations without a condition need every referenced rule to match.
  if ((value === undefined || value === null) && temporal) {
    return { condition: { gte: ruleCount }, field: null };
  }
  if (!isMap(value)) {
    sink.error('invalid_correlation_condition', path, 'Correlation "condition" must be a map.');
    return { condition: null, field: null };
  }

  const condition: CountCondition = {};
  let valid = true;
  for (const [key, bound] of Object.entries(value)) {
    if (key === 'field') continue;
    if (!(BOUNDS as readonly string[]).includes(key) || typeof bound !== 'number') {
      sink.error(
        'invalid_correlation_condition',
        [...path, key],
        `Condition keys are ${BOUNDS.join(', ')} with a number, and "field".`,
      );
      valid = false;
      continue;
    }
    condition[key as (typeof BOUNDS)[number]] = bound;
  }
  if (valid && Object.keys(condition).length === 0) {
    sink.error('invalid_correlation_condition', path, 'Correlation "condition" needs a bound.');
    valid = false;
  }
  const impossible = valid && type !== null ? unreachable(condition, type, ruleCount) : null;
  if (impossible !== null) {
    sink.error(
      'impossible_correlation_condition',
      path,
      `Correlation "condition" can never be met: ${impossible}.`,
    );
    valid = false;
  }

  const field = typeof value.field === 'string' ? value.field : null;
  if (Array.isArray(value.field)) {
    // TODO: Sigma 2.1 lets value_count name several fields, joined by AND. Counting distinct
    // tuples is not implemented, so the rule is rejected instead of counted on one field.
    sink.error(
      'unsupported_correlation_field',
      [...path, 'field'],
      'Correlation "field" lists several fields; give one field name.',
    );
    valid = false;
  } else if (type !== null && NEEDS_FIELD.has(type) && field === null) {
    sink.error('missing_correlation_field', [...path, 'field'], `"${type}" needs "field".`);
    valid = false;
  }
  return { condition: valid ? condition : null, field };
}

/** Types whose condition bounds a count: a whole number of events, values or rules, from 1. */
const COUNTS = new Set<CorrelationType>([
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
]);

/**
 * Says why no value can satisfy a condition, or returns null when some value can. Counts are
 * whole numbers of at least 1 (a group exists only once an event is in it), and a temporal
 * correlation counts at most as many distinct rules as it references.
 */
function unreachable(
  condition: CountCondition,
  type: CorrelationType,
  ruleCount: number,
): string | null {
  const { gt, gte, lt, lte, eq, neq } = condition;
  const lows = [gt, gte, eq].filter((n) => n !== undefined);
  const highs = [lt, lte, eq].filter((n) => n !== undefined);
  const low = lows.length === 0 ? -Infinity : Math.max(...lows);
  const high = highs.length === 0 ? Infinity : Math.min(...highs);
  const lowOpen = gt !== undefined && gt === low && (gte === undefined || gte <= gt);
  const highOpen = lt !== undefined && lt === high && (lte === undefined || lte >= lt);
  if (eq !== undefined && neq === eq) return `it requires ${eq} and excludes it`;
  if (!COUNTS.has(type)) {
    if (low > high || (low === high && (lowOpen || highOpen))) return 'its bounds leave no value';
    return null;
  }

  const most = type === 'temporal' || type === 'temporal_ordered' ? ruleCount : Infinity;
  const first = Math.max(1, lowOpen ? Math.floor(low) + 1 : Math.ceil(low));
  const last = Math.min(most, highOpen ? Math.ceil(high) - 1 : Math.floor(high));
  if (first > last) {
    return most === Infinity
      ? 'a count is a whole number of at least 1 and these bounds admit none'
      : `the correlation counts 1 to ${most} rules and these bounds admit none`;
  }
  if (first === last && neq === first) return `the only count these bounds admit is ${first}`;
  return null;
}

function aliases(value: unknown, sink: IssueSink): Record<string, Record<string, string>> {
  if (value === undefined || value === null) return {};

  const result: Record<string, Record<string, string>> = {};
  const valid =
    isMap(value) &&
    Object.values(value).every(
      (map) => isMap(map) && Object.values(map).every((field) => typeof field === 'string'),
    );
  if (!valid) {
    sink.error(
      'invalid_correlation',
      ['correlation', 'aliases'],
      '"aliases" must map each alias to a map of rule name → field name.',
    );
    return result;
  }
  for (const [alias, map] of Object.entries(value)) result[alias] = map as Record<string, string>;
  return result;
}
