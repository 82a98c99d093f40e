import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Category,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  metadataUid,
  type Status,
} from '../core/event.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { parseJsonLossless } from './json-numbers.ts';
import { scanJsonRecords } from './json-records.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import { clipPart } from './message.ts';
import { arrayField, bareAddress, field, stringField } from './record-fields.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

const MARKERS: [RegExp, number][] = [
  [/"CreationTime"\s*:[\s\S]*"Workload"\s*:|"Workload"\s*:[\s\S]*"CreationTime"\s*:/i, 0.9],
  [/"OfficeWorkload"\s*:/, 0.9],
  [/"RecordType"\s*:[\s\S]*"Operation"\s*:[\s\S]*"UserId"\s*:/i, 0.8],
];

const WORKLOAD_CATEGORIES = new Map<string, Category>([
  ['azureactivedirectory', 'identity'],
  ['exchange', 'storage'],
  ['sharepoint', 'storage'],
  ['onedrive', 'storage'],
  ['microsoftteams', 'storage'],
]);

// PowerShell cmdlet names, such as Set-Mailbox and New-InboxRule.
const CMDLET = /^[A-Z][a-z]+-[A-Za-z]+$/;

/**
 * Whether a record is an administrator's cmdlet (record type 1, ExchangeAdmin): a change to the
 * tenant's configuration, such as a mailbox permission or a forwarding rule, not data access.
 */
function adminCmdlet(value: Record<string, unknown>, operation: string): boolean {
  const type = field(value, 'RecordType');
  return type === 1 || type === 'ExchangeAdmin' || CMDLET.test(operation);
}

// Operations whose names say they only read.
const READS =
  /^(MailItemsAccessed|FileAccessed|FileDownloaded|FilePreviewed|Search\w*|Get-|View\w*|PageViewed|FileSyncDownloaded\w*)/i;

/**
 * Microsoft 365 unified audit log records (Exchange, SharePoint, OneDrive, Entra ID and the
 * rest), as `Search-UnifiedAuditLog` AuditData, Management Activity API content and the
 * `OfficeActivity` Log Analytics table.
 */
export const m365Audit: SourceFormat = {
  id: 'm365.audit',
  description: 'Microsoft 365 unified audit log (Exchange, SharePoint, OneDrive, Entra ID)',
  example: 'AuditLog_2024-05-01.jsonl',
  logCategory: 'audit',
  alsoCovers: ['identity', 'storage'],
  sniff: sniffM365Audit,
  records: (input: Readable): AsyncIterable<RecordResult> => scanJsonRecords(input),
  normalize: normalizeM365Audit,
};

// Top-level keys a unified audit log record has, compared ignoring case.
const KEY_GROUPS = [
  ['operation'],
  ['creationtime', 'timegenerated'],
  ['workload', 'officeworkload', 'recordtype'],
];

/**
 * Scores how much the first bytes of a stream look like unified audit log records. When the
 * first line is a whole JSON object its own keys decide, because other Microsoft exports (such
 * as Defender's) carry audit records inside their fields.
 */
export function sniffM365Audit(head: Buffer, _name: string): number {
  const record = firstLineObject(head);
  if (record !== null) {
    const keys = new Set(Object.keys(record).map((key) => key.toLowerCase()));
    return KEY_GROUPS.every((group) => group.some((key) => keys.has(key))) ? 0.9 : 0;
  }
  return jsonMarkerScore(head, MARKERS);
}

/** Maps one unified audit log record to an event. */
export function normalizeM365Audit(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value)) return notAudit('the record is not a JSON object');
  const operation = stringField(value, 'Operation');
  const workload = stringField(value, 'Workload', 'OfficeWorkload');
  if (operation === null || (workload === null && field(value, 'RecordType') === undefined)) {
    return notAudit('the record has no Operation and Workload');
  }

  // CreationTime carries no zone; the unified audit log writes UTC.
  const found = field(value, 'CreationTime', 'TimeGenerated', 'p_event_time');
  if (found === undefined || found === null) {
    return { code: 'missing_time', reason: 'the record has no CreationTime' };
  }
  const time = parseTimestamp(found);
  if (time === null) {
    return { code: 'invalid_time', reason: 'the record time is not a valid timestamp' };
  }

  const actor = emptyActor();
  actor.uid = stringField(value, 'UserId');
  actor.name = actor.uid;
  actor.type = userType(field(value, 'UserType'));
  actor.account = stringField(value, 'OrganizationId', 'TenantId');
  const src = emptyEndpoint();
  const address = stringField(
    value,
    'ClientIP',
    'ClientIPAddress',
    'Client_IPAddress',
    'ActorIpAddress',
  );
  if (address !== null) {
    const bare = bareAddress(address);
    if (isIP(bare) !== 0) src.ip = bare;
    else src.domain = bare;
  }
  const { status, detail } = statusOf(stringField(value, 'ResultStatus'));
  const objectId = stringField(value, 'ObjectId');
  const category = adminCmdlet(value, operation)
    ? 'audit'
    : (WORKLOAD_CATEGORIES.get(workload?.toLowerCase() ?? '') ?? 'audit');

  return {
    uid: eventUid(ref),
    time,
    source: 'm365.audit',
    category,
    class_uid: category === 'identity' && /login|logon/i.test(operation) ? 3002 : 6003,
    class_name:
      category === 'identity' && /login|logon/i.test(operation) ? 'Authentication' : 'API Activity',
    activity: READS.test(operation)
      ? 'Read'
      : /^(New-|Add|Create)/i.test(operation)
        ? 'Create'
        : /^(Remove-|Delete|FileDeleted)/i.test(operation)
          ? 'Delete'
          : /^(Set-|Update|Enable-|Disable-)/i.test(operation)
            ? 'Update'
            : 'Other',
    status,
    status_detail: detail,
    actor,
    src,
    dst: emptyEndpoint(),
    user_agent: stringField(value, 'UserAgent') ?? extendedProperty(value, 'UserAgent'),
    cloud: { provider: 'azure', account: actor.account, region: null },
    api: {
      service: workload,
      operation,
      request_id: stringField(value, 'Id'),
      read_only: READS.test(operation),
    },
    resources: objectId === null ? [] : [{ uid: objectId, type: workload }],
    message: `${clipPart(actor.uid ?? 'unknown user')} ${clipPart(workload ?? 'Microsoft 365')}:${clipPart(operation)}${src.ip === null ? '' : ` from ${clipPart(src.ip)}`}${detail === null ? '' : ` (${clipPart(detail)})`}`,
    tags: [],
    evidence: ref,
    raw: value,
    // Log Analytics' OfficeActivity table names the record id `OfficeId`.
    ...metadataUid(stringField(value, 'Id') ?? stringField(value, 'OfficeId')),
  };
}

function notAudit(reason: string): NormalizeError {
  return { code: 'not_m365_audit', reason };
}

function statusOf(value: string | null): { status: Status; detail: string | null } {
  if (value === null) return { status: 'unknown', detail: null };
  if (/^(succeeded|success|true|partiallysucceeded)$/i.test(value))
    return { status: 'success', detail: null };
  if (/^(failed|failure|false)$/i.test(value)) return { status: 'failure', detail: value };
  return { status: 'unknown', detail: value };
}

// The unified audit log's UserType enumeration.
function userType(value: unknown): string | null {
  const names: Record<string, string> = {
    '0': 'Regular',
    '1': 'Reserved',
    '2': 'Admin',
    '3': 'DcAdmin',
    '4': 'System',
    '5': 'Application',
    '6': 'ServicePrincipal',
    '7': 'CustomPolicy',
    '8': 'SystemPolicy',
  };
  if (typeof value === 'number') return names[String(value)] ?? null;
  return typeof value === 'string' ? (names[value] ?? value) : null;
}

function extendedProperty(record: JsonObject, name: string): string | null {
  for (const entry of arrayField(record, 'ExtendedProperties')) {
    if (isObject(entry) && entry.Name === name && typeof entry.Value === 'string')
      return entry.Value;
  }
  return null;
}

// The first line of a JSON-lines head as an object, or null when it is no complete object.
function firstLineObject(head: Buffer): JsonObject | null {
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  const end = text.indexOf('\n');
  if (!text.startsWith('{') || end === -1) return null;
  try {
    const value: unknown = parseJsonLossless(text.slice(0, end));
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}
