import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Category,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Status,
} from '../core/event.ts';
import { clipPart } from './message.ts';
import {
  headLines,
  type LineParse,
  type LineParser,
  RAW_LINE_KEY,
  scanTextRecords,
  scoreLines,
} from './text-lines.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

// `node=host type=SYSCALL msg=audit(1700000000.123:42): key=value ...`
const HEADER =
  /^(?:node=(\S+) )?type=([A-Z_0-9]+(?:\[\d{1,5}\])?) msg=audit\((\d+)(?:\.(\d{1,6}))?(?::(\d+))?\):?\s?(.*)$/;
// An unknown record type is written with its number, as `UNKNOWN[1323]`.
const LOOSE_HEADER = /^(?:node=\S+ )?type=[A-Z_0-9]+(?:\[\d{1,5}\])? msg=audit\(/;
// One `key=value` pair: the value is double-quoted, single-quoted or runs to the next space.
const PAIR = /([A-Za-z_][\w-]{0,63})=("[^"]*"|'[^']*'|\S*)/g;
// auditd's enriched format separates the interpreted names with a group separator.
const ENRICHED_SEPARATOR = '\u001d';
const SNIFF_LINES = 5;
const MAX_PAIRS = 512;
const REPLACED_BY_LATER = new Set(['auid', 'ses']);

const LOGONS = new Set([
  'USER_AUTH',
  'USER_LOGIN',
  'USER_ACCT',
  'LOGIN',
  'USER_START',
  'CRED_ACQ',
  'USER_ERR',
]);
const ACCOUNT_CHANGES = new Set([
  'ADD_USER',
  'DEL_USER',
  'ADD_GROUP',
  'DEL_GROUP',
  'USER_MGMT',
  'GRP_MGMT',
  'USER_CHAUTHTOK',
  'ROLE_ASSIGN',
  'ROLE_REMOVE',
]);
const PROCESSES = new Set(['EXECVE', 'SYSCALL', 'USER_CMD', 'PROCTITLE']);

/** Parses auditd lines into flat records of their fields. */
export class AuditdLineParser implements LineParser {
  parse(line: string): LineParse {
    const header = HEADER.exec(line);
    if (header === null) {
      return { kind: 'rejected', code: 'not_auditd', reason: 'the line has no auditd header' };
    }
    const [, node, type, seconds, fraction, serial, rest] = header;
    if (fraction === undefined || serial === undefined) {
      const reason = 'the audit stamp lacks its milliseconds or serial number';
      return { kind: 'rejected', code: 'invalid_time', reason };
    }
    const [body = '', enriched = ''] = (rest ?? '').split(ENRICHED_SEPARATOR);
    const record: Record<string, unknown> = {
      type,
      time: `${seconds}.${fraction}`,
      serial: Number(serial),
    };
    if (node !== undefined) record.node = node;
    addPairs(record, body);
    addPairs(record, enriched);
    record[RAW_LINE_KEY] = line;
    return { kind: 'record', value: record };
  }
}

// The user-space message `msg='op=... acct="x" res=success'` is flattened beside the kernel's
// fields, so rules find `acct`, `exe` and `res` where auditd's own tools show them.
function addPairs(record: Record<string, unknown>, text: string): void {
  let count = 0;
  for (const match of text.matchAll(PAIR)) {
    if (++count > MAX_PAIRS) break;
    const [, key = '', quoted = ''] = match;
    const value = unquote(quoted);
    if (key === 'msg' && quoted.startsWith("'")) {
      addPairs(record, value);
      continue;
    }
    // A LOGIN record says `old auid=… new auid=…`: the later value is the new one.
    if (!(key in record) || REPLACED_BY_LATER.has(key)) record[key] = value;
  }
}

function unquote(value: string): string {
  const first = value[0];
  if ((first === '"' || first === "'") && value.endsWith(first) && value.length >= 2) {
    return value.slice(1, -1);
  }
  return value;
}

/**
 * Linux audit daemon logs (`/var/log/audit/audit.log`), raw or enriched (`log_format =
 * ENRICHED`, with user and group names after a group separator), with or without `node=`.
 * Each line is one record; its fields are kept in `raw` by their auditd names, the user-space
 * message's fields beside the kernel's.
 */
export const auditd: SourceFormat = {
  id: 'host.auditd',
  description: 'Linux audit daemon logs (audit.log, raw or enriched)',
  example: '/var/log/audit/audit.log',
  logCategory: 'compute',
  alsoCovers: ['identity'],
  sniff: (head: Buffer): number =>
    scoreLines(headLines(head, SNIFF_LINES), (line) => LOOSE_HEADER.test(line), 0.85),
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanTextRecords(input, new AuditdLineParser()),
  normalize: normalizeAuditd,
};

const text = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' && value !== '?' ? value : null;

function statusOf(record: Record<string, unknown>): Status {
  const result = text(record.res) ?? text(record.success);
  if (result === null) return 'unknown';
  if (/^(success|yes|1)$/i.test(result)) return 'success';
  if (/^(failed|failure|no|0)$/i.test(result)) return 'failure';
  return 'unknown';
}

// 4294967295 is auditd's "unset" id: a process that never logged in.
function userOf(record: Record<string, unknown>): string | null {
  const account = text(record.acct);
  if (account !== null) return account;
  const auid = text(record.AUID) ?? text(record.auid);
  if (auid !== null && auid !== '4294967295' && auid !== 'unset') return auid;
  return text(record.UID) ?? text(record.uid);
}

/** Maps one parsed auditd line to an event. */
export function normalizeAuditd(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  const record = value as Record<string, unknown>;
  const type = text(record?.type);
  const seconds = Number(record?.time);
  if (type === null || !Number.isFinite(seconds)) {
    return { code: 'not_auditd', reason: 'the record is no parsed auditd line' };
  }
  const time = new Date(Math.round(seconds * 1000));
  if (Number.isNaN(time.getTime()))
    return { code: 'invalid_time', reason: 'the audit time is out of range' };

  const logon = LOGONS.has(type);
  const change = ACCOUNT_CHANGES.has(type);
  const process = PROCESSES.has(type);
  const category: Category = logon || change ? 'identity' : 'compute';
  const [class_uid, class_name] = logon
    ? [3002, 'Authentication']
    : change
      ? [3001, 'Account Change']
      : process
        ? [1007, 'Process Activity']
        : [0, 'Base Event'];
  const status = statusOf(record);

  const actor = emptyActor();
  actor.uid = userOf(record);
  actor.name = actor.uid;
  actor.session = text(record.ses) === '4294967295' ? null : text(record.ses);
  const src = emptyEndpoint();
  const address = text(record.addr) ?? text(record.hostname);
  if (address !== null && isIP(address) !== 0) src.ip = address;
  const host = text(record.node);
  const program = text(record.exe) ?? text(record.comm);
  const operation =
    text(record.op) ??
    (text(record.cmd) === null ? type : `${type} ${clipPart(text(record.cmd) ?? '')}`);

  return {
    uid: eventUid(ref),
    time: time.toISOString(),
    source: 'host.auditd',
    category,
    class_uid,
    class_name,
    activity: logon
      ? 'Logon'
      : change
        ? type.startsWith('DEL')
          ? 'Delete'
          : type.startsWith('ADD')
            ? 'Create'
            : 'Update'
        : process
          ? 'Launch'
          : 'Other',
    status,
    status_detail: status === 'failure' ? (text(record.res) ?? 'failed') : null,
    actor,
    src,
    dst: { ...emptyEndpoint(), domain: host },
    user_agent: null,
    cloud: { provider: 'other', account: null, region: null },
    api: {
      service: program ?? 'auditd',
      operation,
      request_id: String(record.serial ?? ''),
      read_only: null,
    },
    resources: host === null ? [] : [{ uid: host, type: 'host' }],
    message: `${clipPart(type)} by ${clipPart(actor.uid ?? 'unknown user')}${program === null ? '' : ` via ${clipPart(program)}`}${src.ip === null ? '' : ` from ${src.ip}`}${status === 'unknown' ? '' : ` (${status})`}`,
    tags: [],
    evidence: ref,
    raw: record,
  };
}
