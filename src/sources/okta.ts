import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  metadataUid,
  type Resource,
  type Status,
} from '../core/event.ts';
import { isObject } from './cloudtrail-unwrap.ts';
import { scanJsonRecords } from './json-records.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import { clipPart } from './message.ts';
import { arrayField, field, objectField, stringField } from './record-fields.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

const MARKERS: [RegExp, number][] = [
  [
    /"eventType"\s*:\s*"[a-z]+\.[\w.]+"[\s\S]*"published"|"published"[\s\S]*"eventType"\s*:\s*"[a-z]+\.[\w.]+"/i,
    0.9,
  ],
  [/"legacyEventType"\s*:/i, 0.85],
];

const LOGONS = /^user\.(session\.start|authentication\.)/;

/**
 * Okta System Log events, as the System Log API returns them (a JSON array) or as JSON lines
 * from a log stream or SIEM export.
 */
export const oktaSystemLog: SourceFormat = {
  id: 'okta.system',
  description: 'Okta System Log events (API, log streaming, SIEM exports)',
  example: 'okta-system-log-2024-05-01.json',
  logCategory: 'identity',
  sniff: (head: Buffer): number => jsonMarkerScore(head, MARKERS),
  records: (input: Readable): AsyncIterable<RecordResult> => scanJsonRecords(input),
  normalize: normalizeOkta,
};

/** Maps one Okta System Log event to an event. */
export function normalizeOkta(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value)) return notOkta('the record is not a JSON object');
  const eventType = stringField(value, 'eventType');
  if (eventType === null) return notOkta('the record has no eventType');

  const found = field(value, 'published', 'p_event_time');
  if (found === undefined)
    return { code: 'missing_time', reason: 'the event has no published time' };
  const time = parseTimestamp(found);
  if (time === null)
    return { code: 'invalid_time', reason: 'the published time is not a valid timestamp' };

  const actorRecord = objectField(value, 'actor') ?? {};
  const actor = emptyActor();
  actor.uid = stringField(actorRecord, 'alternateId') ?? stringField(actorRecord, 'id');
  actor.name = stringField(actorRecord, 'displayName') ?? actor.uid;
  actor.type = stringField(actorRecord, 'type');
  const context = objectField(value, 'authenticationContext') ?? {};
  actor.session = stringField(context, 'externalSessionId');
  if (eventType === 'user.authentication.auth_via_mfa') actor.mfa = true;

  const client = objectField(value, 'client') ?? {};
  const src = emptyEndpoint();
  const address = stringField(client, 'ipAddress');
  if (address !== null && isIP(address) !== 0) src.ip = address;
  const userAgent = objectField(client, 'userAgent') ?? {};

  const outcome = objectField(value, 'outcome') ?? {};
  const result = stringField(outcome, 'result');
  const reason = stringField(outcome, 'reason');
  const status: Status =
    result === null
      ? 'unknown'
      : /^(SUCCESS|ALLOW)$/i.test(result)
        ? 'success'
        : /^(FAILURE|DENY)$/i.test(result)
          ? 'failure'
          : 'unknown';
  const detail = status === 'success' ? null : (reason ?? result);

  const resources: Resource[] = arrayField(value, 'target')
    .filter(isObject)
    .flatMap((target) => {
      const uid = stringField(target, 'alternateId') ?? stringField(target, 'id');
      return uid === null ? [] : [{ uid, type: stringField(target, 'type') }];
    });
  const logon = LOGONS.test(eventType);
  const message = stringField(value, 'displayMessage') ?? eventType;

  return {
    uid: eventUid(ref),
    time,
    source: 'okta.system',
    category: 'identity',
    class_uid: logon ? 3002 : 6003,
    class_name: logon ? 'Authentication' : 'API Activity',
    activity: eventType === 'user.session.end' ? 'Logoff' : logon ? 'Logon' : 'Other',
    status,
    status_detail: detail,
    actor,
    src,
    dst: emptyEndpoint(),
    user_agent: stringField(userAgent, 'rawUserAgent'),
    cloud: { provider: 'other', account: null, region: null },
    api: {
      service: 'okta',
      operation: eventType,
      request_id: stringField(value, 'uuid'),
      read_only: null,
    },
    resources,
    message: `${clipPart(actor.uid ?? 'unknown actor')}: ${clipPart(message)}${src.ip === null ? '' : ` from ${src.ip}`}${detail === null ? '' : ` (${clipPart(detail)})`}`,
    tags: [],
    evidence: ref,
    raw: value,
    ...metadataUid(stringField(value, 'uuid')),
  };
}

function notOkta(reason: string): NormalizeError {
  return { code: 'not_okta', reason };
}
