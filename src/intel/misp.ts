/**
 * Reads indicators from MISP JSON exports: one event (`{"Event": …}`), a list of events
 * (`{"response": [{"Event": …}]}` or a bare array), and attribute searches
 * (`{"Attribute": […]}` or `{"response": {"Attribute": […]}}`). Attributes of MISP objects
 * count too.
 */
import { classify } from './classify.ts';
import type { LineIndex } from './lines.ts';
import type { Indicator, IndicatorType, IntelProblem } from './types.ts';

type Json = Record<string, unknown>;

/** MISP attribute types cloudcase matches, and the indicator type of each part of the value. */
const ATTRIBUTE_TYPES: Readonly<Record<string, readonly (IndicatorType | null)[]>> = {
  'ip-src': ['ip'],
  'ip-dst': ['ip'],
  'ip-src|port': ['ip', null],
  'ip-dst|port': ['ip', null],
  'domain|ip': ['domain', 'ip'],
  domain: ['domain'],
  hostname: ['domain'],
  'hostname|port': ['domain', null],
  url: ['url'],
  'user-agent': ['user_agent'],
  md5: ['hash'],
  sha1: ['hash'],
  sha256: ['hash'],
  sha512: ['hash'],
  'filename|md5': [null, 'hash'],
  'filename|sha1': [null, 'hash'],
  'filename|sha256': [null, 'hash'],
  'filename|sha512': [null, 'hash'],
};

/** Indicators, skipped attributes and problems of one MISP export. */
export interface MispResult {
  indicators: Indicator[];
  skipped: number;
  problems: IntelProblem[];
}

/** Tells whether a parsed JSON document has one of the MISP export shapes. */
export function isMisp(parsed: unknown): boolean {
  if (Array.isArray(parsed)) return parsed.some((item) => isObject(item) && isObject(item.Event));
  if (!isObject(parsed)) return false;
  return isObject(parsed.Event) || Array.isArray(parsed.Attribute) || 'response' in parsed;
}

/** Reads every attribute of a parsed MISP export from `file`. */
export function readMisp(parsed: unknown, file: string, lines: LineIndex): MispResult {
  const result: MispResult = { indicators: [], skipped: 0, problems: [] };
  for (const { attribute, info } of attributes(parsed))
    readAttribute(attribute, info, file, lines, result);
  return result;
}

function* attributes(parsed: unknown): Iterable<{ attribute: Json; info: string | null }> {
  const root = isObject(parsed) && 'response' in parsed ? parsed.response : parsed;
  const events = Array.isArray(root) ? root : [root];
  for (const item of events) {
    if (!isObject(item)) continue;
    const event = isObject(item.Event) ? item.Event : item;
    const info = typeof event.info === 'string' ? event.info : null;
    for (const attribute of list(event.Attribute)) yield { attribute, info };
    for (const object of list(event.Object)) {
      for (const attribute of list(object.Attribute)) yield { attribute, info };
    }
  }
}

function readAttribute(
  a: Json,
  info: string | null,
  file: string,
  lines: LineIndex,
  result: MispResult,
): void {
  const line = lines.lineOf(a.uuid);
  if (a.deleted === true) {
    result.skipped++;
    return;
  }
  const type = typeof a.type === 'string' ? a.type : '';
  const value = typeof a.value === 'string' ? a.value : null;
  if (value === null) {
    result.problems.push({
      file,
      line,
      code: 'invalid_indicator',
      message: `attribute of type ${type || '?'} has no value`,
    });
    return;
  }
  const parts = ATTRIBUTE_TYPES[type];
  const label =
    [info, typeof a.comment === 'string' && a.comment !== '' ? a.comment : null]
      .filter(Boolean)
      .join(': ') || null;
  if (parts === undefined) {
    // Free text may still hold an AWS access key, which MISP has no attribute type for.
    const key = type === 'text' || type === 'other' ? classify(value, 'access_key') : null;
    if (key) result.indicators.push({ ...key, source: file, line, label });
    else result.skipped++;
    return;
  }

  const values = parts.length > 1 ? value.split('|') : [value];
  parts.forEach((hint, index) => {
    const part = values[index];
    if (hint === null || part === undefined) return;
    const classified = classify(part, hint);
    if (classified === null) {
      result.problems.push({
        file,
        line,
        code: 'invalid_indicator',
        message: `attribute of type ${type} has an invalid value`,
      });
      return;
    }
    result.indicators.push({ ...classified, source: file, line, label });
  });
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
