import { describe, expect, test } from 'vitest';
import { EVENT_COLUMNS, type EventRowValues } from './event-row.ts';
import { CopiesCheck, copiesHoldInRow } from './stored-copies.ts';

const IDENTITY = '"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s"}';

/** Builds a CloudTrail row with the copies a normalizer would store for the usual record. */
function row(raw: string, copies: Record<string, string | null> = {}): EventRowValues {
  const values: Record<string, unknown> = {
    uid: 'u1',
    source: 'aws.cloudtrail',
    raw,
    api_operation: 'ListBuckets',
    api_service: 's3.amazonaws.com',
    user_agent: null,
    status_detail: null,
    actor_type: 'AssumedRole',
    actor_uid: 'arn:aws:sts::1:assumed-role/r/s',
    ...copies,
  };
  return EVENT_COLUMNS.map((column) => values[column.name] ?? null) as EventRowValues;
}

const usual = (fields: string) =>
  `{"eventName":"ListBuckets","eventSource":"s3.amazonaws.com",${IDENTITY}${fields}}`;

describe('copiesHoldInRow', () => {
  test.each([
    ['usual record', usual(''), {}],
    ['spaces around colons', usual('').replaceAll('":', '" : '), {}],
    ['nested key of the same name', usual(',"requestParameters":{"eventName":"X"}'), {}],
    ['key name as a value', usual(',"lookup":"eventName"'), {}],
    ['null field and copy', usual(',"errorCode":null'), {}],
    ['escaped value', usual(',"userAgent":"a\\"b"'), { user_agent: 'a"b' }],
    [
      'identity without type',
      '{"eventName":"ListBuckets","userIdentity":{}}',
      { api_service: null },
    ],
  ])('%s holds', (_, raw, copies) => {
    expect(copiesHoldInRow(row(raw, copies))).toBe(true);
  });

  test.each([
    ['repeated top-level key', usual(',"eventName":"StopLogging"'), {}],
    ['escaped key', usual(',"event\\u004eame":"X"'), {}],
    ['copy differs', usual(''), { api_operation: 'GetObject' }],
    ['NULL copy of a string', usual(''), { api_operation: null }],
    ['number value', usual(',"errorCode":5'), { status_detail: '5' }],
    ['repeated identity type', usual('').replace('"type":', '"type":"Root","type":'), {}],
    ['identity array', `{"eventName":"ListBuckets","userIdentity":[{"type":"Root"}]}`, {}],
    ['dotted top-level key', usual(',"userIdentity.type":"Root"'), {}],
    ['service identity with an ARN', usual(''), { actor_uid: 'ec2.amazonaws.com' }],
  ])('%s fails', (_, raw, copies) => {
    expect(copiesHoldInRow(row(raw, copies))).toBe(false);
  });

  test('check lists failed CloudTrail rows', () => {
    const check = new CopiesCheck();

    check.addRow(row(usual('')));
    check.addRow(row(usual(''), { uid: 'u2', api_operation: 'GetObject' }));
    check.addRow(row('{}', { uid: 'u3', source: 'gcp.audit', api_operation: 'X' }));

    expect(check.unverified).toEqual(['u2']);
    expect(check.overflow).toBe(false);
  });
});
