import { rm } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { caseWithEvents, onEvents, withConnection } from '../../analyze/test-case.ts';
import { CaseDb } from '../../store/case-db.ts';
import { RAW_PART_UNITS } from '../../store/raw-parts.ts';
import { testEvent } from '../../store/test-events.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { SqlScan } from './scan.ts';

const RULES = `title: Bucket policy on the evidence bucket
id: 5b0e7a31-0000-4000-8000-000000000002
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    requestParameters.bucketName: evidence
    requestParameters.policy|contains: '*'
  condition: selection
level: low
`;

// A rule with a field that events store a copy of, so a column scan reads it.
const OPERATION_RULE = `title: Bucket policy put on the evidence bucket
id: 5b0e7a31-0000-4000-8000-000000000003
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    eventName: PutBucketPolicy
    requestParameters.bucketName: evidence
  condition: selection
level: low
`;

function rules(text = RULES): DetectionRule[] {
  return detectionRules(text);
}

// A bucket policy longer than one value of `raw`, so the event's record is stored in parts.
const POLICY = `{"Statement":[{"Principal":"*","Padding":"${'p'.repeat(4 * RAW_PART_UNITS)}"}]}`;

describe('SqlScan events stored in parts', () => {
  test('matches fields of a split record', async () => {
    const events = [0, 1, 2].map((record) =>
      testEvent(record, {
        raw: {
          eventName: 'PutBucketPolicy',
          requestParameters: { bucketName: record === 1 ? 'other' : 'evidence', policy: POLICY },
        },
      }),
    );

    const matches = await onEvents(events, (connection) => new SqlScan(rules()).run(connection));

    expect(matches.map((match) => match.uid)).toEqual([events[0]!.uid, events[2]!.uid]);
    expect(matches.map((match) => match.ruleIds)).toEqual([
      ['5b0e7a31-0000-4000-8000-000000000002'],
      ['5b0e7a31-0000-4000-8000-000000000002'],
    ]);
  });

  test('matches a split record too large for the scans', async () => {
    // Over 1 MiB, so the scans list it for the in-memory engine, which reads its parts.
    const policy = `{"Statement":[{"Principal":"*","Padding":"${'p'.repeat(1_100_000)}"}]}`;
    const event = testEvent(0, {
      raw: { eventName: 'PutBucketPolicy', requestParameters: { bucketName: 'evidence', policy } },
    });

    const matches = await onEvents([event], (connection) => new SqlScan(rules()).run(connection));

    expect(matches.map((match) => match.uid)).toEqual([event.uid]);
  });

  test('matches many split records once each', async () => {
    // 800 records of 64 KB, stored in parts. Scanning them in SQL, copied back whole 32 MB at a
    // time, ran out of the case's 256 MB; the in-memory engine reads one at a time.
    const padding = 'p'.repeat(4 * RAW_PART_UNITS);
    const events = Array.from({ length: 800 }, (_, record) =>
      testEvent(record, {
        raw: {
          eventName: 'PutBucketPolicy',
          requestParameters: {
            bucketName: 'evidence',
            policy: `{"Principal":"*","p":"${padding}"}`,
          },
        },
      }),
    );

    const scan = new SqlScan([...rules(), ...rules(OPERATION_RULE)]);
    const matches = await onEvents(events, (connection) => scan.run(connection));

    expect(matches).toHaveLength(800);
    expect(new Set(matches.map((match) => match.ruleIds.toSorted().join()))).toEqual(
      new Set(['5b0e7a31-0000-4000-8000-000000000002,5b0e7a31-0000-4000-8000-000000000003']),
    );
  }, 60_000);

  test('matches only the matching split records of many batches', async () => {
    // 150 records of 5 parts: more records than one read, and more parts than one group.
    const events = Array.from({ length: 150 }, (_, record) =>
      testEvent(record, {
        raw: {
          eventName: 'PutBucketPolicy',
          requestParameters: {
            bucketName: record % 3 === 0 ? 'other' : 'evidence',
            policy: POLICY,
          },
        },
      }),
    );

    const matches = await onEvents(events, (connection) => new SqlScan(rules()).run(connection));

    const expected = events.filter((_, record) => record % 3 !== 0).map((event) => event.uid);
    expect(matches.map((match) => match.uid).toSorted()).toEqual(expected.toSorted());
  }, 60_000);

  test('matches a large record stored whole by an older case', async () => {
    const policy = `{"Statement":[{"Principal":"*","Padding":"${'p'.repeat(1_100_000)}"}]}`;
    const events = [0, 1].map((record) =>
      testEvent(record, {
        raw: {
          eventName: 'PutBucketPolicy',
          requestParameters: { bucketName: 'evidence', policy },
        },
      }),
    );

    const caseDir = await caseWithEvents(events);
    try {
      // Record 0 stored whole in `raw`, as cases did before records were stored in parts.
      const db = await CaseDb.open(caseDir);
      const connection = await db.connect();
      try {
        await connection.run(`UPDATE events SET raw = (SELECT string_agg(p.text, '' ORDER BY p.part)
          FROM event_raw_parts p WHERE p.uid = events.uid), raw_key = NULL
          WHERE evidence_record = 0`);
        await connection.run('DELETE FROM event_raw_parts WHERE evidence_record = 0');
      } finally {
        connection.closeSync();
        await db.close();
      }
      const matches = await withConnection(caseDir, (read) => new SqlScan(rules()).run(read));

      expect(matches.map((match) => match.uid).toSorted()).toEqual(
        events.map((event) => event.uid).toSorted(),
      );
    } finally {
      await rm(caseDir, { recursive: true, force: true });
    }
  });
  test('matches no absent-field rule on a split record that has the field', async () => {
    // The scans read a split record as no record, on which `|exists: false` holds.
    const absent = `title: Bucket policy without a name
id: 5b0e7a31-0000-4000-8000-000000000004
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    requestParameters.bucketName|exists: false
  condition: selection
level: low
`;
    const events = [0, 1].map((record) =>
      testEvent(record, {
        raw: {
          eventName: 'PutBucketPolicy',
          requestParameters:
            record === 0 ? { bucketName: 'evidence', policy: POLICY } : { policy: POLICY },
        },
      }),
    );

    const matches = await onEvents(events, (connection) =>
      new SqlScan(rules(absent)).run(connection),
    );

    expect(matches.map((match) => match.uid)).toEqual([events[1]!.uid]);
  });
});
