import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { createBaselineEvents } from './prepare.ts';

// Events of three identities whose uids are 8 KB long, as an attacker can make an assumed-role
// session's ARN. A window partitioned by the uids themselves ran out of 64 MB (DuckDB 1.5, two
// threads), while the table of the events itself needs about 48 MB.
const EVENTS = 6_000;
const MEMORY_LIMIT = '64MB';
const LONG_ACTORS = `INSERT INTO events
SELECT events.* REPLACE ('long-' || i AS uid,
  TIMESTAMP '2024-05-01 00:00:00' + to_minutes((i // 6)::BIGINT) AS time,
  'arn:aws:sts::111122223333:assumed-role/' || repeat('r', 8000) || '/session-' || (i % 3)
    AS actor_uid)
FROM events, range(${EVENTS}) copies(i)`;

describe('baseline events', () => {
  it('ranks events of long identities under a small memory limit', async () => {
    const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-baseline-'));
    const db = await CaseDb.open(caseDir);
    const connection = await db.connect();
    try {
      const writer = await db.eventWriter();
      writer.append(testEvent(0));
      await writer.close();
      await connection.run(LONG_ACTORS);
      await connection.run(`SET memory_limit = '${MEMORY_LIMIT}'`);

      await createBaselineEvents(connection);

      // Each identity has two events per minute, so an event's rank is twice its minute.
      const reader = await connection.runAndReadAll(
        `SELECT count(*)::INTEGER AS n, count(DISTINCT identity)::INTEGER AS identities,
           count(*) FILTER (WHERE seq = 2 * datediff('minute', identity_first, time))::INTEGER
             AS ranked
         FROM baseline_events WHERE uid LIKE 'long-%'`,
      );
      expect(reader.getRowObjectsJS()).toEqual([{ n: EVENTS, identities: 3, ranked: EVENTS }]);
      const first = await connection.runAndReadAll(
        `SELECT DISTINCT identity_first::VARCHAR AS first FROM baseline_events
         WHERE uid LIKE 'long-%'`,
      );
      expect(first.getRowObjectsJS()).toEqual([{ first: '2024-05-01 00:00:00' }]);
    } finally {
      connection.closeSync();
      await db.close();
      await rm(caseDir, { recursive: true, force: true });
    }
  }, 60_000);
});
