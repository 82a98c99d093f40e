import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvCell } from '../core/escape.ts';
import { type Event, emptyActor, emptyEndpoint } from '../core/event.ts';
import type { CaseDb } from '../store/case-db.ts';

/** Timesketch's `timestamp_desc` for each source whose event time is not the API call time. */
const TIME_DESCRIPTIONS: Record<string, string> = {
  'aws.vpcflow': 'Flow Window End',
  'gcp.vpcflow': 'Flow Window End',
  'aws.guardduty': 'Finding First Seen',
};

/** Timesketch's `timestamp_desc` of an event: what its time means. */
export function timestampDescription(source: string): string {
  return TIME_DESCRIPTIONS[source] ?? 'Event Time';
}

/**
 * Maps an event to the flat fields of one Timesketch row. The three columns Timesketch
 * requires (`message`, `datetime`, `timestamp_desc`) come first, then `timestamp` in
 * microseconds since the epoch, then the normalized event fields under their column names.
 */
export function timesketchFields(event: Event): Record<string, string | number | boolean | null> {
  return {
    message: event.message,
    datetime: event.time,
    timestamp_desc: timestampDescription(event.source),
    timestamp: Date.parse(event.time) * 1000,
    uid: event.uid,
    source: event.source,
    category: event.category,
    class_name: event.class_name,
    activity: event.activity,
    status: event.status,
    status_detail: event.status_detail,
    actor_uid: event.actor.uid,
    actor_name: event.actor.name,
    actor_type: event.actor.type,
    actor_session: event.actor.session,
    actor_access_key: event.actor.access_key,
    actor_mfa: event.actor.mfa,
    actor_account: event.actor.account,
    src_ip: event.src.ip,
    src_port: event.src.port,
    src_domain: event.src.domain,
    dst_ip: event.dst.ip,
    dst_port: event.dst.port,
    dst_domain: event.dst.domain,
    user_agent: event.user_agent,
    cloud_provider: event.cloud.provider,
    cloud_account: event.cloud.account,
    cloud_region: event.cloud.region,
    api_service: event.api.service,
    api_operation: event.api.operation,
    api_request_id: event.api.request_id,
    resources: event.resources.map((r) => r.uid).join(', '),
    event_tags: event.tags.join(', '),
    evidence_sha256: event.evidence.sha256,
    evidence_member: event.evidence.member,
    evidence_record: event.evidence.record,
  };
}

/** Export formats of the timeline for Timesketch. */
export type TimesketchFormat = 'jsonl' | 'csv';

async function* jsonlLines(events: AsyncIterable<Event>, counter: { rows: number }) {
  for await (const event of events) {
    counter.rows += 1;
    // The original record goes along as JSON text: as an object, records of different
    // sources would give one field name different types in Timesketch's index.
    yield `${JSON.stringify({ ...timesketchFields(event), raw: JSON.stringify(event.raw) })}\n`;
  }
}

// An event with every field empty, whose field names give the CSV header.
const BLANK_EVENT: Event = {
  uid: '',
  time: new Date(0).toISOString(),
  source: '',
  category: 'audit',
  class_uid: 0,
  class_name: '',
  activity: '',
  status: 'unknown',
  status_detail: null,
  actor: emptyActor(),
  src: emptyEndpoint(),
  dst: emptyEndpoint(),
  user_agent: null,
  cloud: { provider: 'other', account: null, region: null },
  api: { service: null, operation: null, request_id: null, read_only: null },
  resources: [],
  message: '',
  tags: [],
  evidence: { sha256: '', member: null, record: 0, offset: 0 },
  raw: {},
};

/** Column names of the Timesketch CSV, in order. */
export const TIMESKETCH_CSV_HEADER: readonly string[] = Object.keys(timesketchFields(BLANK_EVENT));

async function* csvLines(events: AsyncIterable<Event>, counter: { rows: number }) {
  yield `${TIMESKETCH_CSV_HEADER.join(',')}\r\n`;
  for await (const event of events) {
    counter.rows += 1;
    yield `${Object.values(timesketchFields(event)).map(csvCell).join(',')}\r\n`;
  }
}

/**
 * Streams the case's timeline, in time order, to `file` as Timesketch JSON Lines or CSV.
 * Memory stays flat: events come from DuckDB chunk by chunk and the file stream's back
 * pressure paces them. CSV cells are escaped against formula injection (`csvCell`). Returns
 * the number of events written.
 */
export async function exportTimesketch(
  db: CaseDb,
  format: TimesketchFormat,
  file: string,
): Promise<number> {
  const counter = { rows: 0 };
  const events = db.timeline({ withoutRaw: format === 'csv' });
  const lines = format === 'jsonl' ? jsonlLines(events, counter) : csvLines(events, counter);
  await pipeline(Readable.from(lines), createWriteStream(file, { flags: 'wx' }));

  return counter.rows;
}
