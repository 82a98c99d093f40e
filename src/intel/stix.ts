/**
 * Reads indicators from STIX 2.1 bundles: the comparisons of `indicator` patterns (STIX
 * patterning language) and the cyber-observable objects (`ipv4-addr`, `ipv6-addr`,
 * `domain-name`, `url`, `file` hashes, HTTP `User-Agent` headers), also inside `observed-data`.
 */
import { classify } from './classify.ts';
import type { LineIndex } from './lines.ts';
import type { Indicator, IndicatorType, IntelProblem } from './types.ts';

type Json = Record<string, unknown>;

/** Indicators, skipped objects and problems of one STIX bundle. */
export interface StixResult {
  indicators: Indicator[];
  skipped: number;
  problems: IntelProblem[];
}

// One comparison: an object path, an operator and a quoted string or a list of them. Every part
// is a single character class or separated by a comma, so a hostile pattern cannot make the
// regular expression backtrack beyond linear time per comparison.
const QUOTED = "'(?:[^'\\\\]|\\\\.)*'";
const COMPARISON = new RegExp(
  `([a-z0-9-]+):([\\w.'*\\[\\]-]+)\\s*(=|!=|ISSUBSET|ISSUPERSET|LIKE|MATCHES|IN|>=|<=|>|<)\\s*` +
    `(${QUOTED}|\\(\\s*${QUOTED}(?:\\s*,\\s*${QUOTED})*\\s*\\))`,
  'g',
);

/** Patterns longer than this are reported, not read. */
const MAX_PATTERN_CHARS = 4096;

const HASH_PATH = /^hashes\.'?(md5|sha-?1|sha-?256|sha-?512|sha3-256)'?$/i;

/** Reads a parsed bundle (or a bare list of STIX objects) from `file`. */
export function readStix(parsed: unknown, file: string, lines: LineIndex): StixResult {
  const result: StixResult = { indicators: [], skipped: 0, problems: [] };
  const objects = Array.isArray(parsed) ? parsed : (parsed as Json).objects;
  if (!Array.isArray(objects)) {
    result.problems.push({
      file,
      line: 1,
      code: 'invalid_stix',
      message: 'the bundle has no objects array',
    });
    return result;
  }

  for (const object of objects) {
    if (typeof object !== 'object' || object === null) continue;
    const o = object as Json;
    // A revoked object is withdrawn by its producer and must not be acted on.
    if (o.revoked === true) {
      result.skipped++;
      continue;
    }
    const line = lines.lineOf(o.id);
    const label = text(o.name) ?? text(o.description) ?? text(o.id);
    if (o.type === 'indicator') readPattern(o, { file, line, label }, result);
    else if (o.type === 'observed-data' && typeof o.objects === 'object' && o.objects !== null) {
      for (const inner of Object.values(o.objects as Json)) {
        readObservable(inner as Json, { file, line, label }, result);
      }
    } else readObservable(o, { file, line, label }, result);
  }
  return result;
}

interface Place {
  file: string;
  line: number;
  label: string | null;
}

// NOTE: each comparison of a pattern becomes an indicator of its own, so `[a = 'x' AND b = 'y']`
// matches an event that has either value. Patterns are rarely more than ORs of equalities.
function readPattern(o: Json, place: Place, result: StixResult): void {
  const patternType = text(o.pattern_type) ?? 'stix';
  const pattern = text(o.pattern);
  if (pattern !== null && pattern.length > MAX_PATTERN_CHARS) {
    result.problems.push({
      ...place,
      code: 'unsupported_pattern',
      message: `the pattern is longer than ${MAX_PATTERN_CHARS} characters`,
    });
    return;
  }
  if (patternType !== 'stix' || pattern === null) {
    result.problems.push({
      ...place,
      code: 'unsupported_pattern',
      message: `pattern_type ${patternType} is not read; only STIX patterns are`,
    });
    return;
  }

  let found = 0;
  let unsupported = 0;
  for (const match of pattern.matchAll(COMPARISON)) {
    const [, objectType = '', path = '', operator = '', operand = ''] = match;
    const values = operand.startsWith('(')
      ? [...operand.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => unquote(m[1] ?? ''))
      : [unquote(operand.slice(1, -1))];
    const type = typeOfPath(objectType, path);
    if (type === null || !['=', 'IN', 'ISSUBSET'].includes(operator)) {
      unsupported++;
      continue;
    }
    for (const value of values) {
      // Only user accounts that are AWS access keys are matched; other user ids are skipped.
      if (objectType === 'user-account' && !AWS_ACCESS_KEY.test(value)) {
        unsupported++;
        continue;
      }
      const classified = classify(value, operator === 'ISSUBSET' ? 'cidr' : type);
      if (classified === null) {
        result.problems.push({
          ...place,
          code: 'invalid_indicator',
          message: `${objectType}:${path} has an invalid value`,
        });
        continue;
      }
      result.indicators.push({
        ...classified,
        source: place.file,
        line: place.line,
        label: place.label,
      });
      found++;
    }
  }
  if (found === 0) {
    result.problems.push({
      ...place,
      code: 'unsupported_pattern',
      message:
        unsupported > 0
          ? 'the pattern compares no field that cloudcase matches, or only with LIKE, MATCHES or !='
          : 'the pattern could not be read',
    });
  }
}

const AWS_ACCESS_KEY = /^(?:AKIA|ASIA)[A-Z0-9]{16}$/;

function typeOfPath(objectType: string, path: string): IndicatorType | null {
  if (objectType === 'ipv4-addr' || objectType === 'ipv6-addr')
    return path === 'value' ? 'ip' : null;
  if (objectType === 'domain-name') return path === 'value' ? 'domain' : null;
  if (objectType === 'url') return path === 'value' ? 'url' : null;
  if (objectType === 'file' || objectType === 'artifact')
    return HASH_PATH.test(path) ? 'hash' : null;
  if (objectType === 'network-traffic') {
    if (/^(src|dst)_ref\.value$/.test(path)) return 'ip';
    if (/request_header\.'?User-Agent'?$/i.test(path)) return 'user_agent';
  }
  // An AWS access key as a user account, the shape cloudcase's own STIX export writes.
  if (objectType === 'user-account') return path === 'user_id' ? 'access_key' : null;
  return null;
}

function readObservable(o: Json, place: Place, result: StixResult): void {
  const type = o.type;
  if (type === 'ipv4-addr' || type === 'ipv6-addr' || type === 'domain-name' || type === 'url') {
    let hint: IndicatorType = 'ip';
    if (type === 'domain-name') hint = 'domain';
    if (type === 'url') hint = 'url';
    addValue(text(o.value), hint, place, result);
  } else if (type === 'file' && typeof o.hashes === 'object' && o.hashes !== null) {
    for (const hash of Object.values(o.hashes as Json)) addValue(text(hash), 'hash', place, result);
  } else if (type === 'user-account' && o.account_type === 'aws-access-key') {
    addValue(text(o.user_id), 'access_key', place, result);
  } else if (type === 'network-traffic') {
    const http = ((o.extensions as Json | undefined)?.['http-request-ext'] ?? null) as Json | null;
    const agent = (http?.request_header as Json | undefined)?.['User-Agent'];
    if (typeof agent === 'string') addValue(agent, 'user_agent', place, result);
  } else if (typeof type === 'string' && !STIX_DOMAIN_OBJECTS.has(type)) {
    result.skipped++;
  }
}

// STIX objects that describe rather than observe; they carry no indicator value.
const STIX_DOMAIN_OBJECTS = new Set([
  'attack-pattern',
  'campaign',
  'course-of-action',
  'grouping',
  'identity',
  'infrastructure',
  'intrusion-set',
  'location',
  'malware',
  'malware-analysis',
  'note',
  'opinion',
  'report',
  'threat-actor',
  'tool',
  'vulnerability',
  'relationship',
  'sighting',
  'marking-definition',
  'extension-definition',
  'language-content',
  'indicator',
  'observed-data',
]);

function addValue(
  value: string | null,
  hint: IndicatorType,
  place: Place,
  result: StixResult,
): void {
  if (value === null) return;
  const classified = classify(value, hint);
  if (classified === null) {
    result.problems.push({
      ...place,
      code: 'invalid_indicator',
      message: `a ${hint} observable has an invalid value`,
    });
    return;
  }
  result.indicators.push({
    ...classified,
    source: place.file,
    line: place.line,
    label: place.label,
  });
}

function unquote(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
