import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DETECTION_KEYS, type DetectionKeysOptions, withDetectionKeys } from './detection-keys.ts';

// Heads `x:a#`, `x:b#` and `y:c#`: none starts another.
const APART = ['x:a#1', 'x:a#10', 'x:a#9', 'x:b#2', 'y:c#0', 'y:c#00'];
// The head `sha:` starts `sha:a#`, which starts `sha:a#1#` (archive members `a` and `a#1`).
const NESTED = ['sha:a#1', 'sha:a#10', 'sha:a#9', 'sha:a#1#5', 'sha:7', 'sha:007', 'no digits'];
// Detections of this uid have no stored event.
const MISSING = 'x:b#2';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run('CREATE TABLE events (uid VARCHAR, time TIMESTAMP)');
  await connection.run(
    'CREATE TABLE detections (rule_id VARCHAR, event_uid VARCHAR, time TIMESTAMP, hit_id VARCHAR)',
  );
});

afterEach(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Stores the uids as events, except MISSING, and a detection of each by two rules. */
async function store(uids: readonly string[]): Promise<void> {
  for (const uid of uids) {
    if (uid !== MISSING) {
      await connection.run("INSERT INTO events VALUES ($uid, TIMESTAMP '2024-05-01')", { uid });
    }
    for (const rule of ['r1', 'r2']) {
      await connection.run(
        "INSERT INTO detections VALUES ($rule, $uid, TIMESTAMP '2024-05-01', NULL)",
        { rule, uid },
      );
    }
  }
}

interface KeyRow {
  uid: string;
  key: string;
  event: string | null;
}

/** Reads every detection's uid, key (as JSON) and stored event uid, ordered by the key. */
async function keysOf(
  options: DetectionKeysOptions,
): Promise<{ columns: string[]; rows: KeyRow[] }> {
  return withDetectionKeys(connection, options, async (uidColumns) => {
    const key = uidColumns.map((column) => `k.${column}`).join(', ');
    const asText = uidColumns.map((column) => `k.${column}::VARCHAR`).join(', ');
    const event = options.events === true ? 'k.event_row' : 'NULL::BIGINT';
    const reader = await connection.runAndReadAll(
      `SELECT d.event_uid AS uid, to_json([${asText}])::VARCHAR AS key, e.uid AS event
       FROM ${DETECTION_KEYS} k JOIN detections d ON d.rowid = k.detection_row
       LEFT JOIN events e ON e.rowid = ${event}
       ORDER BY ${key}, d.rule_id`,
    );
    const rows = reader.getRowObjectsJS().map((row) => ({
      uid: String(row.uid),
      key: String(row.key),
      event: row.event === null ? null : String(row.event),
    }));
    return { columns: [...uidColumns], rows };
  });
}

describe.each([
  ['split', { wholeUidBytes: 0 }],
  ['whole', {}],
])('withDetectionKeys with uids %s', (_, whole: DetectionKeysOptions) => {
  for (const [name, uids] of [
    ['apart', APART],
    ['nested', NESTED],
  ] as const) {
    test(`keys sort as ${name} uids do`, async () => {
      await store(uids);
      const { rows } = await keysOf({ ordered: true, events: true, ...whole });

      const sorted = [...uids].sort();
      expect(rows.map((row) => row.uid)).toEqual(sorted.flatMap((uid) => [uid, uid]));
      const keys = new Map(rows.map((row) => [row.key, row.uid]));
      expect(keys.size).toBe(uids.length);
      for (const row of rows) expect(keys.get(row.key)).toBe(row.uid);
    });

    test(`events of ${name} uids are found by row id`, async () => {
      await store(uids);
      const { rows } = await keysOf({ events: true, ...whole });

      for (const row of rows) expect(row.event).toBe(row.uid === MISSING ? null : row.uid);
    });
  }
});

describe('withDetectionKeys split keys', () => {
  test('use places and tails when no head starts another', async () => {
    await store(APART);
    const { columns } = await keysOf({ ordered: true, wholeUidBytes: 0 });

    expect(columns).toEqual(['uid_place', 'uid_tail']);
  });

  test('rank the uids when a head starts another', async () => {
    await store(NESTED);
    const { columns } = await keysOf({ ordered: true, wholeUidBytes: 0 });

    expect(columns).toEqual(['uid_order']);
  });

  test('read only the detections selected', async () => {
    await store(APART);
    const { rows } = await keysOf({
      where: 'd.rule_id = $rule',
      params: { rule: 'r2' },
      wholeUidBytes: 0,
    });

    expect(rows.map((row) => row.uid)).toEqual([...APART].sort());
  });
});
