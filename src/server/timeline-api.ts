/** Timeline pages, the histogram and event detail, read for the workbench. */
import { DuckDBTimestampValue, type DuckDBValue, listValue } from '@duckdb/node-api';
import { isoTime, timestampValue } from '../store/event-row.ts';
import { TIMELINE_ORDER } from '../store/timeline-query.ts';
import type { CaseReader, Row } from './case-reader.ts';
import { HttpError } from './http.ts';
import { explainWithStoredModel } from './model-explanations.ts';
import { INDEX_FROM_OFFSET, type PageIndexCache } from './page-index.ts';
import { compileQuery, parseInstant } from './query-compile.ts';
import { queryField } from './query-fields.ts';
import { QueryError } from './query-parse.ts';

/** The selection of a timeline request: a query and an optional time window (ISO 8601). */
export interface TimelineSelection {
  query: string;
  since?: string;
  until?: string;
}

/** The narrow columns a timeline row shows; the raw record comes only with the detail. */
const PAGE_COLUMNS = `uid, time, source, category, activity, status, actor_uid, actor_name,
  src_ip, api_operation, message, tags`;

/** Maximum number of buckets of a histogram. */
export const MAX_BUCKETS = 240;

// Bucket widths a histogram picks from, in milliseconds: round units from a second to 30 days.
const BUCKET_WIDTHS = [
  1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400, 604_800, 2_592_000,
].map((seconds) => seconds * 1000);

/** Compiles a selection to a WHERE condition; raises `HttpError` 400 for a bad query. */
export function selectionCondition(selection: TimelineSelection): {
  sql: string;
  params: Record<string, DuckDBValue>;
} {
  let compiled: ReturnType<typeof compileQuery>;
  try {
    compiled = compileQuery(selection.query);
  } catch (error) {
    if (error instanceof QueryError) {
      throw new HttpError(400, error.code, `${error.message} (at character ${error.position + 1})`);
    }
    throw error;
  }

  const parts = [compiled.sql];
  const params = compiled.params;
  const timeField = queryField('time');
  for (const [name, op] of [
    ['since', '>='],
    ['until', '<='],
  ] as const) {
    const value = selection[name];
    if (value === undefined || value === '' || timeField === undefined) continue;
    try {
      params[name] = timestampValue(parseInstant(timeField, value, 0));
    } catch {
      throw new HttpError(400, 'invalid_request', `parameter ${name} must be an ISO 8601 time`);
    }
    parts.push(`time ${op} $${name}`);
  }
  return { sql: parts.join(' AND '), params };
}

/**
 * One page of the timeline in time order. The first page (offset 0) also counts the events
 * selected; later pages return `total: null`, because the count costs another pass over the
 * selection and the table already has it. Pages from `INDEX_FROM_OFFSET` on are read through
 * `pages`, when given, instead of sorting every event before them again.
 */
export async function timelinePage(
  reader: CaseReader,
  selection: TimelineSelection,
  offset: number,
  limit: number,
  pages?: PageIndexCache,
): Promise<{ total: number | null; offset: number; events: Row[] }> {
  const where = selectionCondition(selection);
  const count =
    offset === 0
      ? await reader.all(`SELECT count(*) AS total FROM events WHERE ${where.sql}`, where.params)
      : null;
  const rows =
    pages !== undefined && offset >= INDEX_FROM_OFFSET
      ? await pages.page(reader, where, PAGE_COLUMNS, offset, limit)
      : await reader.all(
          `SELECT ${PAGE_COLUMNS} FROM events WHERE ${where.sql}
           ORDER BY ${TIMELINE_ORDER} LIMIT $limit OFFSET $offset`,
          { ...where.params, limit, offset },
        );

  const marks = await marksOf(
    reader,
    rows.map((row) => String(row.uid)),
  );
  const events = rows.map((row) => ({
    ...row,
    time: isoTime(row.time),
    tags: [...(row.tags as string[]), ...(marks.get(String(row.uid))?.tags ?? [])],
    starred: marks.get(String(row.uid))?.starred ?? false,
  }));
  return { total: count === null ? null : Number(count[0]?.total ?? 0), offset, events };
}

/**
 * Returns the position in the selection's timeline of its first event at or after `at` (ISO
 * 8601): the number of selected events before that instant, which equals the selection's size
 * when every event is earlier. Raises `HttpError` 400 for a bad query or time.
 */
export async function timelinePosition(
  reader: CaseReader,
  selection: TimelineSelection,
  at: string,
): Promise<{ row: number }> {
  const where = selectionCondition(selection);
  const timeField = queryField('time');
  let instant: ReturnType<typeof timestampValue>;
  try {
    if (timeField === undefined) throw new Error('the time field is not defined');
    instant = timestampValue(parseInstant(timeField, at, 0));
  } catch {
    throw new HttpError(400, 'invalid_request', 'parameter time must be an ISO 8601 time');
  }
  // The timeline is ordered by time first, so the events before the instant come first.
  const [count] = await reader.all(
    `SELECT count(*) AS row FROM events WHERE ${where.sql} AND time < $position_at`,
    { ...where.params, position_at: instant },
  );
  return { row: Number(count?.row ?? 0) };
}

/**
 * Returns the position of the event `uid` in the selection's timeline, or raises `HttpError`
 * 404 when the selection does not contain it. Only the events at the event's own time are
 * sorted, so the cost does not grow with the selection.
 */
export async function eventPosition(
  reader: CaseReader,
  selection: TimelineSelection,
  uid: string,
): Promise<{ row: number }> {
  const where = selectionCondition(selection);
  const [event] = await reader.all(
    `SELECT epoch_us(time) AS at FROM events WHERE ${where.sql} AND uid = $position_uid LIMIT 1`,
    { ...where.params, position_uid: uid },
  );
  if (event === undefined) {
    throw new HttpError(404, 'event_not_found', 'the selection contains no event with this uid');
  }

  // Microseconds, because a JavaScript Date would round the time to milliseconds.
  const at = {
    ...where.params,
    position_at: new DuckDBTimestampValue(BigInt(event.at as bigint)),
  };
  const [before] = await reader.all(
    `SELECT count(*) AS row FROM events WHERE ${where.sql} AND time < $position_at`,
    at,
  );
  const [tied] = await reader.all(
    `SELECT tie_rank FROM (
       SELECT uid, row_number() OVER (ORDER BY ${TIMELINE_ORDER}) - 1 AS tie_rank FROM events
       WHERE ${where.sql} AND time = $position_at
     ) WHERE uid = $position_uid`,
    { ...at, position_uid: uid },
  );
  return { row: Number(before?.row ?? 0) + Number(tied?.tie_rank ?? 0) };
}

async function marksOf(
  reader: CaseReader,
  uids: string[],
): Promise<Map<string, { tags: string[]; starred: boolean }>> {
  const marks = new Map<string, { tags: string[]; starred: boolean }>();
  if (uids.length === 0) return marks;

  const rows = await reader.all(
    `SELECT event_uid, kind, value FROM event_marks
     WHERE kind IN ('tag', 'star') AND list_contains($uids, event_uid) ORDER BY time`,
    { uids: listValue(uids) },
  );
  for (const row of rows) {
    const uid = String(row.event_uid);
    const mark = marks.get(uid) ?? { tags: [], starred: false };
    if (row.kind === 'star') mark.starred = true;
    else mark.tags.push(String(row.value));
    marks.set(uid, mark);
  }
  return marks;
}

/**
 * Counts the selected events per time bucket. The bucket width is the smallest round unit that
 * keeps the range within `MAX_BUCKETS` buckets.
 */
export async function histogram(
  reader: CaseReader,
  selection: TimelineSelection,
): Promise<{ bucket_ms: number; buckets: [number, number][] }> {
  const where = selectionCondition(selection);
  const [range] = await reader.all(
    `SELECT epoch_ms(min(time)) AS first, epoch_ms(max(time)) AS last FROM events
     WHERE ${where.sql}`,
    where.params,
  );
  if (range === undefined || range.first === null) return { bucket_ms: 1000, buckets: [] };

  const span = Number(range.last) - Number(range.first);
  const width =
    BUCKET_WIDTHS.find((candidate) => span / candidate < MAX_BUCKETS) ??
    Math.ceil(span / MAX_BUCKETS);
  const rows = await reader.all(
    `SELECT (epoch_ms(time) // $width) * $width AS bucket, count(*) AS events FROM events
     WHERE ${where.sql} GROUP BY bucket ORDER BY bucket`,
    { ...where.params, width },
  );
  return {
    bucket_ms: width,
    buckets: rows.map((row) => [Number(row.bucket), Number(row.events)]),
  };
}

/**
 * Reads one event with its raw record, evidence, marks and the rules that detected it, each with
 * the fields and values that matched.
 */
export async function eventDetail(reader: CaseReader, uid: string): Promise<Row> {
  const [event] = await reader.all(
    `SELECT e.*, i.path AS evidence_path FROM events e
     LEFT JOIN ingests i ON i.sha256 = e.evidence_sha256
       AND i.member IS NOT DISTINCT FROM e.evidence_member
     WHERE e.uid = $uid LIMIT 1`,
    { uid },
  );
  if (event === undefined) throw new HttpError(404, 'event_not_found', 'no event has this uid');
  if (event.raw === null) event.raw = await rawFromParts(reader, uid, event.raw_key);
  delete event.raw_key;

  const marks = await reader.all(
    'SELECT kind, value, actor, time FROM event_marks WHERE event_uid = $uid ORDER BY time',
    { uid },
  );
  // A rule may have detected the event alone and in correlation hits. Only the single-event
  // detection has an explanation, and max() picks it over the hits' NULL.
  const detections = await reader.all(
    `SELECT d.rule_id, r.title, r.level, max(CAST(d.explanation AS VARCHAR)) AS explanation,
       bool_or(d.hit_id IS NULL) AS single
     FROM detections d LEFT JOIN rules r ON r.id = d.rule_id
     WHERE d.event_uid = $uid GROUP BY d.rule_id, r.title, r.level ORDER BY d.rule_id`,
    { uid },
  );
  const explained = [];
  for (const { single, ...detection } of detections) {
    explained.push({
      ...detection,
      explanation: await explanationOf(reader, detection, single, event.raw),
    });
  }
  return {
    ...event,
    time: isoTime(event.time),
    marks: marks.map((mark) => ({ ...mark, time: isoTime(mark.time) })),
    detections: explained,
  };
}

// A raw record too long for the `raw` column is stored in parts (see `raw-parts.ts`), in a table
// that cases made before it lack. The parts are found by the event's `raw_key`, or by its uid
// when it was stored before keys.
async function rawFromParts(reader: CaseReader, uid: string, key: unknown): Promise<string | null> {
  const [table] = await reader.all(
    "SELECT 1 FROM duckdb_tables() WHERE table_name = 'event_raw_parts' AND database_name = current_database()",
  );
  if (table === undefined) return null;

  const keyed = key !== null && key !== undefined;
  const [row] = await reader.all(
    `SELECT string_agg(text, '' ORDER BY part) AS raw FROM event_raw_parts
     WHERE ${keyed ? `raw_key = ${BigInt(key as bigint)}` : 'uid = $uid'}`,
    keyed ? {} : { uid },
  );
  return typeof row?.raw === 'string' ? row.raw : null;
}

// The stored explanation, or for a single-event match stored without one (a hunt explains only
// each rule's earliest matches), one computed now from the rule's stored model.
async function explanationOf(
  reader: CaseReader,
  detection: Row,
  single: unknown,
  raw: unknown,
): Promise<unknown> {
  if (typeof detection.explanation === 'string') return JSON.parse(detection.explanation);
  if (single !== true || typeof raw !== 'string') return null;

  return explainWithStoredModel(reader, String(detection.rule_id), raw);
}
