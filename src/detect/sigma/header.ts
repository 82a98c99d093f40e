/**
 * The metadata of a Sigma rule (Sigma 2.1 rules specification): the fields every rule and
 * correlation rule share, validated with one issue per problem.
 */
import { createHash } from 'node:crypto';
import { LEVELS, type Level } from '../types.ts';
import type { IssueSink } from './issues.ts';
import type { RuleHeader } from './model.ts';

const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Doc = Record<string, unknown>;

/** Validates the shared rule fields of one YAML document. */
export function parseHeader(doc: Doc, file: string, line: number, sink: IssueSink): RuleHeader {
  const title = text(doc, 'title', sink);
  if (title === null || title.trim() === '') {
    sink.error('missing_title', ['title'], 'The rule needs a "title".');
  }

  const { id, derived } = ruleId(doc, file, title ?? '', sink);
  return {
    id,
    derivedId: derived,
    name: text(doc, 'name', sink),
    title: title ?? '',
    status: status(doc, sink),
    description: text(doc, 'description', sink) ?? '',
    references: textList(doc, 'references', sink),
    author: text(doc, 'author', sink),
    date: date(doc, 'date', sink),
    modified: date(doc, 'modified', sink),
    tags: textList(doc, 'tags', sink),
    level: level(doc, sink),
    falsepositives: textList(doc, 'falsepositives', sink),
    fields: textList(doc, 'fields', sink),
    related: related(doc, sink),
    taxonomy: text(doc, 'taxonomy', sink),
    license: text(doc, 'license', sink),
    scope: textList(doc, 'scope', sink),
    file,
    line,
  };
}

function ruleId(doc: Doc, file: string, title: string, sink: IssueSink) {
  const raw = doc.id;
  if (raw === undefined || raw === null) return { id: derivedId(file, title), derived: true };
  if (typeof raw !== 'string' || !UUID.test(raw)) {
    sink.error('invalid_id', ['id'], 'The rule "id" must be a UUID.');
    return { id: derivedId(file, title), derived: true };
  }
  return { id: raw.toLowerCase(), derived: false };
}

/**
 * A stable id for a rule without one: a UUID-shaped digest of its file path and title, so it
 * is the same on every load of the same file.
 */
export function derivedId(file: string, title: string): string {
  const hex = createHash('sha256').update(`${file}\n${title}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function text(doc: Doc, key: string, sink: IssueSink): string | null {
  const value = doc[key];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);

  sink.warning('invalid_field', [key], `"${key}" must be a string.`);
  return null;
}

function textList(doc: Doc, key: string, sink: IssueSink): string[] {
  const value = doc[key];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => isText(item))) return value.map(String);

  sink.warning('invalid_field', [key], `"${key}" must be a list of strings.`);
  return [];
}

function isText(value: unknown): boolean {
  return ['string', 'number', 'boolean'].includes(typeof value);
}

function status(doc: Doc, sink: IssueSink): string | null {
  const value = text(doc, 'status', sink);
  if (value !== null && !STATUSES.includes(value)) {
    sink.warning(
      'invalid_status',
      ['status'],
      `Unknown status; use one of ${STATUSES.join(', ')}.`,
    );
  }
  return value;
}

function date(doc: Doc, key: string, sink: IssueSink): string | null {
  const value = text(doc, key, sink);
  // Sigma 2 writes YYYY-MM-DD; Sigma 1.x rules use YYYY/MM/DD.
  if (value !== null && !/^\d{4}[-/]\d{2}[-/]\d{2}$/.test(value)) {
    sink.warning('invalid_date', [key], `"${key}" must be a date written YYYY-MM-DD.`);
  }
  return value;
}

function level(doc: Doc, sink: IssueSink): Level {
  const value = doc.level;
  if (value === undefined || value === null) return 'medium';
  if (typeof value === 'string' && (LEVELS as readonly string[]).includes(value)) {
    return value as Level;
  }

  sink.error('invalid_level', ['level'], `Invalid level; use one of ${LEVELS.join(', ')}.`);
  return 'medium';
}

function related(doc: Doc, sink: IssueSink): { id: string; type: string }[] {
  const value = doc.related;
  if (value === undefined || value === null) return [];

  const valid = Array.isArray(value) && value.every((item) => isRelated(item));
  if (!valid) {
    sink.warning('invalid_field', ['related'], '"related" must be a list of {id, type} maps.');
    return [];
  }
  return (value as { id: string; type: string }[]).map(({ id, type }) => ({ id, type }));
}

function isRelated(item: unknown): boolean {
  if (typeof item !== 'object' || item === null) return false;
  const { id, type } = item as Record<string, unknown>;
  return typeof id === 'string' && typeof type === 'string';
}
