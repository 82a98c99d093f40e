import type { Readable } from 'node:stream';
import type { Event, EvidenceRef } from '../core/event.ts';
import { isObject } from './cloudtrail-unwrap.ts';
import { scanJsonRecords } from './json-records.ts';
import { normalizeSyslog } from './syslog.ts';
import {
  isNormalizeError,
  type NormalizeError,
  type RecordResult,
  type SourceFormat,
} from './types.ts';

const MARKER = /"__REALTIME_TIMESTAMP"\s*:\s*"\d+"/;
// Longest MESSAGE, in bytes, that journald's byte-array form is decoded for.
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * systemd journal entries exported with `journalctl -o json` (one object per line) or
 * `-o json-pretty`. The message of each entry is read like a syslog line, so sshd, sudo and su
 * entries become sign-ins and commands. The events are `host.syslog` events, so the Linux
 * syslog rules run on them; `raw` keeps the journal fields.
 */
export const journald: SourceFormat = {
  id: 'host.journald',
  description: 'systemd journal entries exported with journalctl -o json',
  example: 'journal.json',
  eventSources: ['host.syslog'],
  logCategory: 'compute',
  alsoCovers: ['identity'],
  sniff: (head: Buffer): number => {
    const text = head.toString('latin1');
    const first = text.trimStart()[0];
    return (first === '{' || first === '[') && MARKER.test(text) ? 0.9 : 0;
  },
  records: (input: Readable): AsyncIterable<RecordResult> => scanJsonRecords(input),
  normalize: normalizeJournald,
};

// journald writes a MESSAGE that is not valid UTF-8 as an array of byte values.
function messageOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value) || value.length > MAX_MESSAGE_BYTES) return null;
  if (!value.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255)) return null;
  return Buffer.from(value as number[]).toString('utf8');
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Maps one journal entry to an event, reading its message as syslog does. */
export function normalizeJournald(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value)) return { code: 'not_journald', reason: 'the record is not a JSON object' };
  const stamp = text(value.__REALTIME_TIMESTAMP);
  if (stamp === null || !/^\d{1,17}$/.test(stamp)) {
    return { code: 'missing_time', reason: 'the entry has no __REALTIME_TIMESTAMP' };
  }
  const time = new Date(Number(stamp) / 1000);
  if (Number.isNaN(time.getTime())) {
    return { code: 'invalid_time', reason: 'the entry time is out of range' };
  }
  const message = messageOf(value.MESSAGE);
  if (message === null) return { code: 'missing_message', reason: 'the entry has no MESSAGE' };

  const fields = {
    time: time.toISOString(),
    priority: null,
    host: text(value._HOSTNAME) ?? '-',
    app: text(value.SYSLOG_IDENTIFIER) ?? text(value._COMM),
    pid: text(value._PID) ?? text(value.SYSLOG_PID),
    message,
  };
  const event = normalizeSyslog(fields, ref);
  return isNormalizeError(event) ? event : { ...event, raw: value };
}
