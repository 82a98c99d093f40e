import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { findingEventUidsJson } from './finding-events.ts';
import { CASE_MEMORY_LIMIT } from './open-database.ts';

describe('findingEventUidsJson', () => {
  // A zip member's name can be up to 65,535 bytes long, and it is part of the uid of every
  // event read from that member. 70,000 uids of 1,500 characters are 105 MB of text.
  it('streams long uids under the case memory limit', async () => {
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: CASE_MEMORY_LIMIT });
    const connection = await instance.connect();
    const member = 'M'.repeat(1500);
    const uids: string[] = [];
    try {
      await connection.run(`CREATE TABLE detections AS
        SELECT 'bulk' AS rule_id, 'f00dfeedcafe0123:${member}.json#' || lpad(i::VARCHAR, 5, '0')
          AS event_uid, TIMESTAMP '2024-05-16 00:00:00' + to_seconds(i) AS time,
          NULL::VARCHAR AS hit_id
        FROM range(70000) t(i)`);

      let largest = 0;
      for await (const stretch of findingEventUidsJson(connection, 'bulk', ',')) {
        largest = Math.max(largest, stretch.json.length);
        uids.push(...(JSON.parse(`[${stretch.json}]`) as string[]));
      }

      expect(uids).toHaveLength(70_000);
      expect(uids[69_999]).toBe(`f00dfeedcafe0123:${member}.json#69999`);
      expect(largest).toBeLessThanOrEqual(64 * 1024 * 1024);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
