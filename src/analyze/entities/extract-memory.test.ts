import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../../store/index.ts';
import { testEvent } from '../../store/test-events.ts';
import { caseWithEvents } from '../test-case.ts';
import { extractEntities, RESOURCE_MASK_SOURCES } from './extract.ts';

// 500,000 events name 250,000 resources. With one list aggregate per resource, extraction ran out
// of memory at 96 MB (DuckDB 1.5, two threads), and without it, it ran within 80 MB.
const EVENTS = 500_000;
const MEMORY_LIMIT = '80MB';

// Each event names an object shared with one neighbour and one of 1,000 buckets. Every seventh
// and eleventh event comes from another source, so objects have one or two sources and buckets
// three.
const COPIES = `INSERT INTO events
SELECT events.* REPLACE ('e' || i AS uid,
  CASE WHEN i % 7 = 0 THEN 'k8s.audit' WHEN i % 11 = 0 THEN 'gcp.audit' ELSE source END AS source,
  '[{"uid":"object-' || (i // 2) || '","type":"AWS::S3::Object"},'
    || '{"uid":"bucket-' || (i % 1000) || '","type":"AWS::S3::Bucket"}]' AS resources)
FROM events, range(${EVENTS}) copies(i)`;

// One source more than the mask of sources can contain, each naming one shared object and an object
// shared with its neighbour.
const SOURCES = RESOURCE_MASK_SOURCES + 1;
const MANY_SOURCES = `INSERT INTO events
SELECT events.* REPLACE ('s' || i AS uid, 'src-' || lpad(i::VARCHAR, 3, '0') AS source,
  '[{"uid":"shared","type":"AWS::S3::Object"},{"uid":"pair-' || (i // 2) || '","type":"AWS::S3::Object"}]'
    AS resources)
FROM events, range(${SOURCES}) copies(i)`;

describe('entity extraction memory', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  // Opens a new case with one event, gives `run` a connection to it, then closes both.
  async function withCase(run: (connection: DuckDBConnection) => Promise<void>): Promise<void> {
    const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-entities-'));
    folders.push(caseDir);
    const db = await CaseDb.open(caseDir);
    const connection = await db.connect();
    try {
      const writer = await db.eventWriter();
      writer.append(testEvent(0));
      await writer.close();
      await run(connection);
    } finally {
      connection.closeSync();
      await db.close();
    }
  }

  it('extracts many resources under a small memory limit', async () => {
    await withCase(async (connection) => {
      await connection.run(COPIES);
      await connection.run(`SET memory_limit = '${MEMORY_LIMIT}'`);

      await extractEntities(connection);

      const reader = await connection.runAndReadAll(
        `SELECT value, sources::VARCHAR AS sources FROM entities
         WHERE type = 'resource' AND value IN ('object-0', 'object-1', 'object-5', 'bucket-0')
         ORDER BY value`,
      );
      expect(reader.getRowObjectsJS()).toEqual([
        { value: 'bucket-0', sources: '[aws.cloudtrail, gcp.audit, k8s.audit]' },
        { value: 'object-0', sources: '[aws.cloudtrail, k8s.audit]' },
        { value: 'object-1', sources: '[aws.cloudtrail]' },
        { value: 'object-5', sources: '[aws.cloudtrail, gcp.audit]' },
      ]);
      const counted = await connection.runAndReadAll(
        "SELECT count(*)::INTEGER AS n FROM entities WHERE type = 'resource'",
      );
      expect(counted.getRowObjectsJS()).toEqual([{ n: 251_001 }]);
    });
  }, 120_000);

  it('reads large creating calls in one parse each', async () => {
    // 5,000 CreateAccessKey records of 15 KB: three JSON calls over each, one per field read,
    // ran out of the case's 256 MB.
    await withCase(async (connection) => {
      await connection.run(`INSERT INTO events
        SELECT events.* REPLACE ('k' || i AS uid, 'CreateAccessKey' AS api_operation,
          'success' AS status,
          '{"eventName":"CreateAccessKey","requestParameters":{"blob":"' || repeat('x', 15000)
            || '"},"responseElements":{"accessKey":{"accessKeyId":"AKIA' || lpad(i::VARCHAR, 16, '0')
            || '"}}}' AS raw)
        FROM events, range(5000) copies(i)`);

      await extractEntities(connection);

      const counted = await connection.runAndReadAll(
        "SELECT count(*)::INTEGER AS n FROM credentials WHERE origin_operation = 'CreateAccessKey'",
      );
      expect(counted.getRowObjectsJS()).toEqual([{ n: 5_000 }]);
    });
  }, 60_000);

  it('lists sources beyond the mask size', async () => {
    await withCase(async (connection) => {
      await connection.run(MANY_SOURCES);

      await extractEntities(connection);

      const reader = await connection.runAndReadAll(
        `SELECT value, sources, events::INTEGER AS events FROM entities
         WHERE type = 'resource' AND value IN ('shared', 'pair-0', 'pair-64') ORDER BY value`,
      );
      const names = Array.from({ length: SOURCES }, (_, i) => `src-${String(i).padStart(3, '0')}`);
      expect(reader.getRowObjectsJS()).toEqual([
        { value: 'pair-0', sources: ['src-000', 'src-001'], events: 2 },
        { value: 'pair-64', sources: ['src-128'], events: 1 },
        { value: 'shared', sources: names, events: SOURCES },
      ]);
    });
  });
});

describe('entity extraction of large creating calls', () => {
  it('reads their records in ranges', async () => {
    // 5,000 CreateAccessKey records of 15 to 17 KB, half of them stored in parts: read in one
    // statement, they ran out of the case's 256 MB.
    const events = Array.from({ length: 5_000 }, (_, record) =>
      testEvent(record, {
        api: {
          service: 'iam.amazonaws.com',
          operation: 'CreateAccessKey',
          request_id: null,
          read_only: false,
        },
        raw: {
          eventName: 'CreateAccessKey',
          requestParameters: { blob: 'x'.repeat(record % 2 === 0 ? 15_000 : 17_000) },
          additionalEventData: { list: Array.from({ length: 50 }, (_, k) => `v${k}`) },
          responseElements: {
            accessKey: { accessKeyId: `AKIA${String(record).padStart(16, '0')}` },
          },
        },
      }),
    );
    const caseDir = await caseWithEvents(events);
    const db = await CaseDb.open(caseDir);
    try {
      const connection = await db.connect();
      try {
        await extractEntities(connection);
        const counted = await connection.runAndReadAll(
          "SELECT count(*)::INTEGER AS n FROM credentials WHERE origin_operation = 'CreateAccessKey'",
        );
        expect(counted.getRowObjectsJS()).toEqual([{ n: 5_000 }]);
      } finally {
        connection.closeSync();
      }
    } finally {
      await db.close();
      await rm(caseDir, { recursive: true, force: true });
    }
  }, 120_000);
});
