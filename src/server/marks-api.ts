/**
 * Analyst marks from the workbench: tags, stars and comments on events, and saved searches.
 * Each change is stored in the case database and appended to the case's audit trail
 * (`audit.jsonl`) with who, when and how many marks or searches it added or removed.
 */

import { MAX_UID_LENGTH } from '../core/event.ts';
import type { CaseDb } from '../store/index.ts';
import { nowTimestamp } from '../store/ingest-state.ts';
import { recordAction } from './audit-actions.ts';
import type { CaseReader, Row } from './case-reader.ts';
import { HttpError, stringField } from './http.ts';
import { compileQuery } from './query-compile.ts';
import { MAX_QUERY_LENGTH, QueryError } from './query-parse.ts';

/** Kinds of event mark. */
export const MARK_KINDS = ['tag', 'star', 'comment'] as const;
type MarkKind = (typeof MARK_KINDS)[number];

const MAX_TAG_LENGTH = 256;
const MAX_COMMENT_LENGTH = 4000;
const MAX_NAME_LENGTH = 200;

/** The analyst who marks, and the case database that stores the marks. */
export interface MarkStore {
  db: CaseDb;
  reader: CaseReader;
  analyst: string;
}

const authorOf = (store: MarkStore) => ({ caseDir: store.db.caseDir, analyst: store.analyst });

const markOptions = (mark: MarkRequest) => ({ event_uid: mark.uid, value: mark.value });

interface MarkRequest {
  uid: string;
  kind: MarkKind;
  value: string;
}

function markRequest(body: Record<string, unknown>): MarkRequest {
  const uid = stringField(body, 'uid', MAX_UID_LENGTH);
  const kind = body.kind;
  if (!MARK_KINDS.includes(kind as MarkKind)) {
    throw new HttpError(
      400,
      'invalid_request',
      `field kind must be one of ${MARK_KINDS.join(', ')}`,
    );
  }
  if (kind === 'star') return { uid, kind, value: '' };

  const max = kind === 'tag' ? MAX_TAG_LENGTH : MAX_COMMENT_LENGTH;
  const value = stringField(body, 'value', max).trim();
  if (value.length === 0) throw new HttpError(400, 'invalid_request', 'field value is blank');
  return { uid, kind: kind as MarkKind, value };
}

async function requireEvent(reader: CaseReader, uid: string): Promise<void> {
  const rows = await reader.all('SELECT 1 FROM events WHERE uid = $uid LIMIT 1', { uid });
  if (rows.length === 0) throw new HttpError(404, 'event_not_found', 'no event has this uid');
}

/** Adds a mark to an event; adding a tag or star it already has changes nothing. */
export async function addMark(store: MarkStore, body: Record<string, unknown>): Promise<void> {
  const startedAt = new Date().toISOString();
  const mark = markRequest(body);
  await requireEvent(store.reader, mark.uid);
  if (mark.kind !== 'comment') {
    const existing = await store.reader.all(
      `SELECT 1 FROM event_marks WHERE event_uid = $uid AND kind = $kind AND value = $value`,
      { uid: mark.uid, kind: mark.kind, value: mark.value },
    );
    if (existing.length > 0) {
      const options = markOptions(mark);
      const action = { command: `serve mark ${mark.kind}`, options, results: 0 };
      await recordAction(authorOf(store), action, startedAt);
      return;
    }
  }

  await store.reader.all('INSERT INTO event_marks VALUES ($uid, $kind, $value, $actor, $time)', {
    uid: mark.uid,
    kind: mark.kind,
    value: mark.value,
    actor: store.analyst,
    time: nowTimestamp(),
  });
  await recordAction(
    authorOf(store),
    { command: `serve mark ${mark.kind}`, options: markOptions(mark), results: 1 },
    startedAt,
  );
}

/** Removes a tag, star or comment from an event. */
export async function removeMark(store: MarkStore, body: Record<string, unknown>): Promise<void> {
  const startedAt = new Date().toISOString();
  const mark = markRequest(body);
  const [deleted] = await store.reader.all(
    `DELETE FROM event_marks WHERE event_uid = $uid AND kind = $kind AND value = $value
     RETURNING 1`,
    { uid: mark.uid, kind: mark.kind, value: mark.value },
  );
  const removed = deleted === undefined ? 0 : 1;
  await recordAction(
    authorOf(store),
    { command: `serve unmark ${mark.kind}`, options: markOptions(mark), results: removed },
    startedAt,
  );
}

/** Lists the most recent marks, up to `limit`, with the time and message of their events. */
export async function listMarks(reader: CaseReader, limit = 1000): Promise<Row[]> {
  const rows = await reader.all(
    `SELECT m.event_uid, m.kind, m.value, m.actor, m.time, e.time AS event_time, e.message
     FROM event_marks m LEFT JOIN events e ON e.uid = m.event_uid
     ORDER BY m.time DESC LIMIT $limit`,
    { limit },
  );
  return rows.map((row) => ({
    ...row,
    time: (row.time as Date).toISOString(),
    event_time: row.event_time === null ? null : (row.event_time as Date).toISOString(),
  }));
}

/** Lists the saved searches by name. */
export async function savedSearches(reader: CaseReader): Promise<Row[]> {
  const rows = await reader.all(
    'SELECT name, query, actor, time FROM saved_searches ORDER BY name',
  );
  return rows.map((row) => ({ ...row, time: (row.time as Date).toISOString() }));
}

/**
 * Saves a search under a name; the query must compile. A name already taken raises 409
 * `search_exists` unless the body's `replace` is true, which replaces that search.
 */
export async function saveSearch(store: MarkStore, body: Record<string, unknown>): Promise<void> {
  const startedAt = new Date().toISOString();
  const name = stringField(body, 'name', MAX_NAME_LENGTH).trim();
  const query = stringField(body, 'query', MAX_QUERY_LENGTH, true);
  try {
    compileQuery(query);
  } catch (error) {
    if (error instanceof QueryError) throw new HttpError(400, error.code, error.message);
    throw error;
  }
  if (body.replace !== true) {
    const existing = await store.reader.all('SELECT 1 FROM saved_searches WHERE name = $name', {
      name,
    });
    if (existing.length > 0) {
      throw new HttpError(
        409,
        'search_exists',
        'a saved search has this name; choose another name or replace it',
      );
    }
  }

  await store.reader.transaction([
    { sql: 'DELETE FROM saved_searches WHERE name = $name', params: { name } },
    {
      sql: 'INSERT INTO saved_searches VALUES ($name, $query, $actor, $time)',
      params: { name, query, actor: store.analyst, time: nowTimestamp() },
    },
  ]);
  await recordAction(
    authorOf(store),
    { command: 'serve save search', options: { name, query }, results: 1 },
    startedAt,
  );
}

/** Deletes a saved search by name; raises 404 `search_not_found` when none has the name. */
export async function deleteSearch(store: MarkStore, body: Record<string, unknown>): Promise<void> {
  const startedAt = new Date().toISOString();
  const name = stringField(body, 'name', MAX_NAME_LENGTH);
  const deleted = await store.reader.all(
    'DELETE FROM saved_searches WHERE name = $name RETURNING 1',
    { name },
  );
  const missing =
    deleted.length === 0
      ? new HttpError(404, 'search_not_found', 'no saved search has this name')
      : null;
  await recordAction(
    authorOf(store),
    { command: 'serve delete search', options: { name }, results: deleted.length },
    startedAt,
    missing,
  );
  if (missing !== null) throw missing;
}
