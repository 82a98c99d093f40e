import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { detectionRules } from '../sigma/test-rules.ts';
import { readInPages } from './paged-read.ts';
import { type ScanMatch, SqlScan } from './scan.ts';

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

describe('readInPages', () => {
  // Two streams of events stored one after the other and interleaved in time, further apart
  // than a row group, so each page reads two runs of row ids.
  const HALF = 20_000;
  const query = {
    table: 'paged_test',
    from: 'events e',
    keys: 'e.n * 10 AS tens',
    orderBy: 'e.t',
    columns: 'e.n, k.tens',
    pageSize: 15_000,
  };
  let own: DuckDBInstance;
  let db: Awaited<ReturnType<DuckDBInstance['connect']>>;

  beforeAll(async () => {
    own = await DuckDBInstance.create(':memory:');
    db = await own.connect();
    await db.run(
      `CREATE TABLE events AS SELECT i AS n,
        CASE WHEN i < ${HALF} THEN 2 * i ELSE 2 * (i - ${HALF}) + 1 END AS t
       FROM range(${2 * HALF}) r(i)`,
    );
  });

  afterAll(() => {
    db.closeSync();
    own.closeSync();
  });

  async function disabledOptimizers(): Promise<string> {
    const reader = await db.runAndReadAll("SELECT current_setting('disabled_optimizers') AS v");
    return String(reader.getRowObjectsJS()[0]?.v);
  }

  test('reads rows in order across pages', async () => {
    const pages: number[][] = [];
    const tens: boolean[] = [];
    const count = await readInPages(db, query, async (rows) => {
      pages.push(rows.map((row) => Number(row.n)));
      tens.push(rows.every((row) => Number(row.tens) === Number(row.n) * 10));
    });

    expect(count).toBe(2 * HALF);
    expect(pages.map((page) => page.length)).toEqual([15_000, 15_000, 10_000]);
    const expected = [...Array(HALF).keys()].flatMap((i) => [i, i + HALF]);
    expect(pages.flat()).toEqual(expected);
    expect(tens).toEqual([true, true, true]);
  });

  test('reads rows in storage order with their places', async () => {
    const pages: { n: number; place: number }[][] = [];
    await readInPages(db, { ...query, storageOrder: true }, async (rows) => {
      pages.push(rows.map((row) => ({ n: Number(row.n), place: Number(row.page_row) })));
    });

    expect(pages.map((page) => page.length)).toEqual([15_000, 15_000, 10_000]);
    const rows = pages.flat();
    expect(rows.map((row) => row.n)).toEqual([...Array(2 * HALF).keys()]);
    // Event i of the first stream is at place 2i + 1 of time order, of the second at 2i + 2.
    const place = (n: number) => (n < HALF ? 2 * n + 1 : 2 * (n - HALF) + 2);
    expect(rows.every((row) => row.place === place(row.n))).toBe(true);
  });

  test('enables filter pushdown for pages only', async () => {
    await db.run("SET disabled_optimizers = 'filter_pushdown'");
    const during: string[] = [];
    await readInPages(db, query, async () => {
      during.push(await disabledOptimizers());
    });
    const after = await disabledOptimizers();
    await db.run("SET disabled_optimizers = ''");

    expect(during).toEqual(['', '', '']);
    expect(after).toBe('filter_pushdown');
  });

  test('drops its table', async () => {
    await readInPages(db, query, async () => {});
    const reader = await db.runAndReadAll(
      "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'paged_test'",
    );

    expect(Number(reader.getRowObjectsJS()[0]?.n)).toBe(0);
  });
});

describe('SqlScan ordered read', () => {
  // More matches than one page of the ordered read, stored out of time order.
  const EVENTS = 6_000;
  const RULE = `title: Any bucket listing
id: 5a7e1c2d-0000-4000-8000-000000000021
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: ListBuckets }
  condition: selection
level: low
`;
  const rules = () => detectionRules(RULE);

  beforeAll(async () => {
    await connection.run(
      `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR,
        evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT)`,
    );
    // Pairs of events share a time, so their evidence record index orders them.
    await connection.run(
      `INSERT INTO events SELECT 'e' || i,
        TIMESTAMP '2024-05-01' + to_seconds(((i * 7919) % ${EVENTS}) // 2), 'aws.cloudtrail',
        '{"eventName":"ListBuckets","n":' || i || '}', 'hash', NULL, ${EVENTS} - i
       FROM range(${EVENTS}) t(i)`,
    );
  });

  test('reads matches in timeline order across pages', async () => {
    const matches: ScanMatch[] = [];
    const ids = new Set(rules().map((rule) => rule.id));
    await new SqlScan(rules()).each(connection, {
      ordered: 'all',
      withRaw: ids,
      onOrdered: (match) => void matches.push(match),
    });

    expect(matches).toHaveLength(EVENTS);
    const expected = [...Array(EVENTS).keys()].sort((a, b) => {
      const time = (((a * 7919) % EVENTS) >> 1) - (((b * 7919) % EVENTS) >> 1);
      return time !== 0 ? time : b - a;
    });
    expect(matches.map((match) => match.uid)).toEqual(expected.map((i) => `e${i}`));
    expect(matches.every((match) => match.raw?.eventName === 'ListBuckets')).toBe(true);
  });

  // DuckDB's memory limit is global, so another connection reads the limit that the read runs under.
  test('reads records under the scan memory limit', async () => {
    const reference = await DuckDBInstance.create(':memory:');
    const other = await reference.connect();
    await other.run("SET memory_limit = '256MB'");
    const expected = await other.runAndReadAll("SELECT current_setting('memory_limit') AS v");
    other.closeSync();
    reference.closeSync();

    const observer = await instance.connect();
    let during: unknown = null;
    const ids = new Set(rules().map((rule) => rule.id));
    try {
      await new SqlScan(rules()).each(connection, {
        ordered: 'all',
        withRaw: ids,
        onOrdered: async () => {
          if (during !== null) return;
          const reader = await observer.runAndReadAll(
            "SELECT current_setting('memory_limit') AS v",
          );
          during = reader.getRowObjectsJS()[0]?.v;
        },
      });
    } finally {
      observer.closeSync();
    }

    expect(during).toBe(expected.getRowObjectsJS()[0]?.v);
  });
});
