/**
 * Reads indicators from CSV files and plain lists. A CSV file has a header naming a value
 * column (`value`, `indicator`, `ioc` or `observable`) and may name a type column (`type`,
 * `indicator_type`, `ioc_type`) and a label column (`description`, `comment`, `name`). A plain
 * list has one value per line; `#` starts a comment. Values without a type are recognised by
 * their form.
 */
import { classify } from './classify.ts';
import type { Indicator, IndicatorType, IntelProblem } from './types.ts';

/** Maximum line length read; a longer line is reported and skipped. */
const MAX_LINE_CHARS = 64 * 1024;

const VALUE_COLUMNS = ['value', 'indicator', 'ioc', 'observable'];
const TYPE_COLUMNS = ['type', 'indicator_type', 'ioc_type', 'kind'];
const LABEL_COLUMNS = ['description', 'comment', 'name', 'label', 'title'];

// Type names as feeds write them, by the indicator type they mean.
const TYPE_NAMES: Readonly<Record<string, IndicatorType>> = {
  ip: 'ip',
  ipv4: 'ip',
  ipv6: 'ip',
  'ip-src': 'ip',
  'ip-dst': 'ip',
  'ipv4-addr': 'ip',
  'ipv6-addr': 'ip',
  cidr: 'cidr',
  network: 'cidr',
  netblock: 'cidr',
  subnet: 'cidr',
  domain: 'domain',
  hostname: 'domain',
  fqdn: 'domain',
  'domain-name': 'domain',
  url: 'url',
  uri: 'url',
  user_agent: 'user_agent',
  'user-agent': 'user_agent',
  useragent: 'user_agent',
  ua: 'user_agent',
  access_key: 'access_key',
  'access-key': 'access_key',
  aws_access_key: 'access_key',
  access_key_id: 'access_key',
  hash: 'hash',
  md5: 'hash',
  sha1: 'hash',
  sha256: 'hash',
  sha512: 'hash',
  'sha-256': 'hash',
  'sha-1': 'hash',
};

/** Indicators, skipped rows and problems of one CSV file or list. */
export interface TextListResult {
  indicators: Indicator[];
  skipped: number;
  problems: IntelProblem[];
}

/** Tells whether the first line of `text` is a CSV header with a value column. */
export function hasCsvHeader(text: string): boolean {
  const first = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'));
  return csvFields(first).some((name) => VALUE_COLUMNS.includes(name.trim().toLowerCase()));
}

/** Reads a CSV file with a header row. */
export function readCsv(text: string, file: string): TextListResult {
  const result: TextListResult = { indicators: [], skipped: 0, problems: [] };
  const rows = text.split(/\r?\n/);
  const header = csvFields(rows[0] ?? '').map((name) => name.trim().toLowerCase());
  const valueAt = header.findIndex((name) => VALUE_COLUMNS.includes(name));
  const typeAt = header.findIndex((name) => TYPE_COLUMNS.includes(name));
  const labelAt = header.findIndex((name) => LABEL_COLUMNS.includes(name));

  rows.slice(1).forEach((row, index) => {
    const line = index + 2;
    if (row.trim() === '' || row.startsWith('#')) return;
    if (row.length > MAX_LINE_CHARS) {
      result.problems.push({
        file,
        line,
        code: 'line_too_long',
        message: `longer than ${MAX_LINE_CHARS} characters`,
      });
      return;
    }
    const fields = csvFields(row);
    const value = fields[valueAt] ?? '';
    const typeName = typeAt < 0 ? '' : (fields[typeAt] ?? '').trim().toLowerCase();
    const label = labelAt < 0 ? null : (fields[labelAt] ?? '').trim() || null;
    add(value, typeName, label, { file, line }, result);
  });
  return result;
}

/** Reads a plain list, one value per line. */
export function readList(text: string, file: string): TextListResult {
  const result: TextListResult = { indicators: [], skipped: 0, problems: [] };
  text.split(/\r?\n/).forEach((row, index) => {
    const line = index + 1;
    const value = row.replace(/\s+#.*$/, '').trim();
    if (value === '' || value.startsWith('#')) return;
    if (value.length > MAX_LINE_CHARS) {
      result.problems.push({
        file,
        line,
        code: 'line_too_long',
        message: `longer than ${MAX_LINE_CHARS} characters`,
      });
      return;
    }
    add(value, '', null, { file, line }, result);
  });
  return result;
}

function add(
  value: string,
  typeName: string,
  label: string | null,
  place: { file: string; line: number },
  result: TextListResult,
): void {
  const hint = typeName === '' ? undefined : TYPE_NAMES[typeName];
  if (typeName !== '' && hint === undefined) {
    result.skipped++;
    return;
  }
  const classified = classify(value, hint);
  if (classified === null) {
    result.problems.push({
      ...place,
      code: hint ? 'invalid_indicator' : 'unknown_indicator',
      message: hint
        ? `the value is not a valid ${hint}`
        : 'the value is no IP address, network, domain, URL, access key, hash or user agent',
    });
    return;
  }
  result.indicators.push({ ...classified, source: place.file, line: place.line, label });
}

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside quotes). */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}
