/**
 * CSV exports of S3 honey bucket alerts, as OTRF's Security-Datasets publish them
 * (`AWS_S3_HoneyBucketLogs.csv`, dataset SDAWS-2202181000, recorded with Breach Insider's Honey
 * Buckets service, whose alert columns `Alert`, `Alarm DateTime` and `Repeated Attempts` it has).
 * A honey bucket is a decoy S3 bucket whose CloudTrail data events raise an alert, so each row is
 * one CloudTrail S3 data event (`HeadBucket`, `ListObjects`, `PutObject`, …) with the alert that
 * it raised. The columns `User ID` and `Request Parameters` hold Python `repr()` dicts.
 *
 * Each row becomes an `aws.cloudtrail` event, so AWS CloudTrail rules run on it. `raw` keeps the
 * row's columns under their header names, beside the CloudTrail fields read from them
 * (`eventName`, `eventSource` `s3.amazonaws.com`, `userIdentity`, `requestParameters`, …).
 */
import type { Readable } from 'node:stream';
import type { Event, EvidenceRef } from '../core/event.ts';
import { normalizeCloudTrail } from './cloudtrail.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { splitCsvLine } from './csv-line.ts';
import { parsePythonLiteral } from './python-literal.ts';
import {
  headLines,
  type LineParse,
  type LineParser,
  RAW_LINE_KEY,
  scanTextRecords,
} from './text-lines.ts';
import {
  isNormalizeError,
  type NormalizeError,
  type RecordResult,
  type SourceFormat,
} from './types.ts';

/** The export's header line, column by column. */
const COLUMNS = [
  'Event Type',
  'Event Name',
  'Request ID',
  'User ID',
  'Request Parameters',
  'Alert',
  'Event ID',
  'Event DateTime',
  'Alarm DateTime',
  'Source IP',
  'Request User Agent',
  'Repeated Attempts',
];
const HEADER = COLUMNS.join(',');

// The bucket's host names the region when the request used a regional endpoint:
// `bucket.s3.eu-west-1.amazonaws.com`, `bucket.s3-eu-west-1.amazonaws.com`.
const REGIONAL_HOST = /(?:^|\.)s3[.-]([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$/i;

export const honeyBucket: SourceFormat = {
  id: 'aws.honeybucket',
  description: 'S3 honey bucket alert exports (CSV of CloudTrail S3 data events)',
  example: 'AWS_S3_HoneyBucketLogs.csv',
  eventSources: ['aws.cloudtrail'],
  logCategory: 'audit',
  alsoCovers: ['storage'],
  sniff: (head: Buffer, _name: string): number => (headLines(head, 1)[0] === HEADER ? 0.95 : 0),
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanTextRecords(input, new HoneyBucketLineParser()),
  normalize: normalizeHoneyBucket,
};

/** Reads the header line, then each row into an object keyed by column name. */
class HoneyBucketLineParser implements LineParser {
  #header = false;

  parse(line: string): LineParse {
    if (!this.#header && line === HEADER) {
      this.#header = true;
      return { kind: 'skip' };
    }
    const fields = splitCsvLine(line);
    if (fields === null) {
      const reason = 'a quoted field does not close on its line';
      return { kind: 'rejected', code: 'invalid_csv', reason };
    }
    if (fields.length !== COLUMNS.length) {
      const reason = `the row has ${fields.length} fields but the header names ${COLUMNS.length}`;
      return { kind: 'rejected', code: 'field_count', reason };
    }

    const value: Record<string, unknown> = {};
    COLUMNS.forEach((column, i) => {
      value[column] = fields[i];
    });
    value[RAW_LINE_KEY] = line;
    return { kind: 'record', value };
  }
}

function column(row: JsonObject, name: string): string | null {
  const value = row[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function dictColumn(row: JsonObject, name: string): JsonObject | null {
  const value = column(row, name);
  if (value === null) return null;
  const parsed = parsePythonLiteral(value);
  return isObject(parsed) ? parsed : null;
}

/** Maps one row of the export to a CloudTrail event. */
export function normalizeHoneyBucket(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value)) {
    return { code: 'not_honeybucket', reason: 'the record is not a row of the export' };
  }
  const found = cloudTrailRecordOf(value);
  if ('error' in found) return found.error;
  const { record } = found;

  const event = normalizeCloudTrail(record, ref);
  if (isNormalizeError(event)) return event;
  return { ...event, raw: { ...value, ...record } };
}

/** Reads the CloudTrail fields of one row; the export drops eventVersion and the bucket ARN. */
function cloudTrailRecordOf(row: JsonObject): { record: JsonObject } | { error: NormalizeError } {
  const identity = dictColumn(row, 'User ID');
  const parameters = dictColumn(row, 'Request Parameters');
  if (column(row, 'User ID') !== null && identity === null) {
    const reason = 'the User ID column is not a Python dict';
    return { error: { code: 'invalid_user_id', reason } };
  }
  if (column(row, 'Request Parameters') !== null && parameters === null) {
    const reason = 'the Request Parameters column is not a Python dict';
    return { error: { code: 'invalid_request_parameters', reason } };
  }

  const host = typeof parameters?.Host === 'string' ? parameters.Host : '';
  const record: JsonObject = {
    eventTime: column(row, 'Event DateTime'),
    eventSource: 's3.amazonaws.com',
    eventName: column(row, 'Event Name'),
    eventType: column(row, 'Event Type'),
    awsRegion: REGIONAL_HOST.exec(host)?.[1]?.toLowerCase() ?? null,
    sourceIPAddress: column(row, 'Source IP'),
    userAgent: column(row, 'Request User Agent'),
    requestID: column(row, 'Request ID'),
    eventID: column(row, 'Event ID'),
    eventCategory: 'Data',
  };
  if (identity !== null) record.userIdentity = identity;
  if (parameters !== null) record.requestParameters = parameters;
  return { record };
}
