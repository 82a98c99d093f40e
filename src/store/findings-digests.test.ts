import { createHash } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { EMPTY_TABLE_DIGEST, findingsDigests } from './findings-digests.ts';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// A value is `N` for NULL or `S<length in code points>:<text>`.
function rowDigest(texts: (string | null)[]): string {
  return sha256(texts.map((t) => (t === null ? 'N' : `S${[...t].length}:${t}`)).join(''));
}

describe('findingsDigests', () => {
  it('hashes the sorted row digests of each table', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`CREATE TABLE detections (rule_id VARCHAR, event_uid VARCHAR,
        time TIMESTAMP, hit_id VARCHAR, explanation JSON)`);
      await connection.run(`INSERT INTO detections VALUES
        ('r1', 'e1', TIMESTAMP '2024-05-01 12:00:00.5', NULL, '{"field":"caf\u00e9"}'),
        ('r2', 'e2', TIMESTAMP '2024-05-01 12:00:01', 'h1', NULL)`);
      await connection.run(`CREATE TABLE created_principals (principal VARCHAR,
        origin_uid VARCHAR, origin_operation VARCHAR, origin_time TIMESTAMP)`);

      const digests = await findingsDigests(connection);

      const rows = [
        rowDigest(['r1', 'e1', '2024-05-01 12:00:00.5', null, '{"field":"caf\u00e9"}']),
        rowDigest(['r2', 'e2', '2024-05-01 12:00:01', 'h1', null]),
      ].sort();
      const expected = sha256(rows.map((row) => `${row}\n`).join(''));
      expect(digests.get('detections')).toEqual({ rows: 2, digest: expected });
      expect(digests.get('created_principals')).toEqual({ rows: 0, digest: EMPTY_TABLE_DIGEST });
      expect(digests.get('entities')).toEqual({ rows: 0, digest: EMPTY_TABLE_DIGEST });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('hashes tables read in several ranges of sorted digests', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`CREATE TABLE created_principals AS
        SELECT 'user-' || i AS principal, 'e' || i AS origin_uid, 'CreateUser' AS origin_operation,
          NULL::TIMESTAMP AS origin_time
        FROM range(150000) t(i)`);

      const digests = await findingsDigests(connection);

      const rows = Array.from({ length: 150_000 }, (_, i) =>
        rowDigest([`user-${i}`, `e${i}`, 'CreateUser', null]),
      ).sort();
      const expected = sha256(rows.map((row) => `${row}\n`).join(''));
      expect(digests.get('created_principals')).toEqual({ rows: 150_000, digest: expected });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
