import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Event, emptyEndpoint } from '../core/event.ts';
import { CaseDb } from '../store/case-db.ts';
import { TEST_SHA, testEvent } from '../store/test-events.ts';
import { exportCase, patternString, stixBundle, TIMESKETCH_CSV_HEADER } from './index.ts';
import { jsonObjectSql } from './json-sql.ts';
import { TIMESKETCH_JSON_FIELDS } from './timesketch.ts';
import { uuidV5 } from './uuid.ts';

const FORMULA = '=HYPERLINK("http://x")';
const QUOTED_AGENT = "it's \\ odd";

let work: string;
let db: CaseDb;

// Three events a rule detected, one of them with a hostile message and user agent, and one
// event from a second source on another day, which no rule detected.
const events: Event[] = [
  testEvent(0),
  testEvent(1, { message: FORMULA, user_agent: QUOTED_AGENT, status_detail: '\t=1+1\u001b[2J' }),
  testEvent(2, { src: { ...emptyEndpoint(), ip: 'ec2.amazonaws.com' } }),
  testEvent(3, { source: 'gcp.audit', time: '2024-05-02T08:00:00.000Z' }),
];

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cloudcase-export-'));
  db = await CaseDb.open(work);
  await db.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');
  const writer = await db.eventWriter();
  for (const event of events) writer.append(event);
  await writer.close();
  await db.upsertRules([
    {
      id: 'key-created',
      title: 'Access key created',
      level: 'high',
      description: '',
      tactics: ['persistence'],
      techniques: ['T1098.001'],
      tags: [],
      falsepositives: [],
      file: 'k.yml',
    },
  ]);
  await db.insertMatches(
    events.slice(0, 3).map((e) => ({ rule_id: 'key-created', event_uid: e.uid, time: e.time })),
  );
  await db.completeIngest(TEST_SHA, null, { read: 4, stored: 4, rejected: 0 });
});

afterEach(async () => {
  await db.close();
  await rm(work, { recursive: true, force: true });
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STIX_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('timesketch export', () => {
  it('writes one JSON line per event with the required fields', async () => {
    const out = path.join(work, 'timeline.jsonl');
    const result = await exportCase(db, 'timesketch-jsonl', out, 'test');
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    const rows = lines.map((line) => JSON.parse(line) as Record<string, unknown>);

    expect(result.count).toBe(4);
    expect(rows).toHaveLength(4);
    expect(rows[0]?.datetime).toBe(events[0]?.time);
    expect(rows[0]?.timestamp).toBe(Date.parse(events[0]?.time ?? '') * 1000);
    expect(rows[0]?.timestamp_desc).toBe('Event Time');
    expect(rows[0]?.message).toBe(events[0]?.message);
    expect(JSON.parse(String(rows[0]?.raw))).toEqual(events[0]?.raw);
  });

  it('writes wide JSON lines with the bytes of narrow ones', async () => {
    // Rows above the text limit are written with string functions instead of to_json.
    const connection = await db.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT ${jsonObjectSql(TIMESKETCH_JSON_FIELDS, -1)} AS wide,
           ${jsonObjectSql(TIMESKETCH_JSON_FIELDS, Number.MAX_SAFE_INTEGER)} AS narrow
         FROM events ORDER BY evidence_record`,
      );
      const rows = reader.getRowObjectsJS();

      expect(rows).toHaveLength(events.length);
      for (const row of rows) expect(row.wide).toBe(row.narrow);
    } finally {
      connection.closeSync();
    }
  });

  it('escapes CSV cells against formula injection', async () => {
    const out = path.join(work, 'timeline.csv');
    await exportCase(db, 'timesketch-csv', out, 'test');
    const lines = (await readFile(out, 'utf8')).split('\r\n');

    expect(lines[0]?.startsWith('message,datetime,timestamp_desc,timestamp,')).toBe(true);
    expect(lines[2]?.startsWith(`"'=HYPERLINK(""http://x"")",`)).toBe(true);
    expect(lines[2]).toContain(",'\\x09=1+1\\x1b[2J,");
    expect(lines.join('\n')).not.toContain('\t');
    expect(lines.join('\n')).not.toContain('\u001b');
    expect(lines).toHaveLength(6);
  });

  it('writes the CSV header for a case without events', async () => {
    const emptyDir = await mkdtemp(path.join(tmpdir(), 'cloudcase-export-empty-'));
    const empty = await CaseDb.open(emptyDir);
    try {
      const out = path.join(emptyDir, 'timeline.csv');
      await exportCase(empty, 'timesketch-csv', out, 'empty');

      expect(await readFile(out, 'utf8')).toBe(`${TIMESKETCH_CSV_HEADER.join(',')}\r\n`);
    } finally {
      await empty.close();
      await rm(emptyDir, { recursive: true, force: true });
    }
  });

  it('refuses to overwrite an existing file', async () => {
    const out = path.join(work, 'taken.jsonl');
    await writeFile(out, 'keep');

    await expect(exportCase(db, 'timesketch-jsonl', out, 'test')).rejects.toMatchObject({
      code: 'output_exists',
    });
    expect(await readFile(out, 'utf8')).toBe('keep');
  });

  it('names a missing output folder as a usage error', async () => {
    for (const format of ['stix', 'timesketch-csv', 'ocsf-parquet'] as const) {
      const out = path.join(work, 'no-such-folder', 'deeper', 'export');
      await expect(exportCase(db, format, out, 'test')).rejects.toMatchObject({
        code: 'output_folder_missing',
        exitCode: 2,
      });
    }
  });
});

describe('stix export', () => {
  it('computes version 5 UUIDs as RFC 4122 does', () => {
    // The DNS namespace and python.org, as in Python's uuid documentation.
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  it('quotes pattern strings', () => {
    expect(patternString(QUOTED_AGENT)).toBe("'it\\'s \\\\ odd'");
  });

  it('writes indicators with valid ids and timestamps', async () => {
    const out = path.join(work, 'bundle.json');
    const result = await exportCase(db, 'stix', out, 'test');
    const bundle = JSON.parse(await readFile(out, 'utf8'));
    const objects = bundle.objects as Record<string, unknown>[];
    const indicators = objects.filter((o) => o.type === 'indicator');
    const patterns = indicators.map((o) => o.pattern).sort();

    expect(bundle.type).toBe('bundle');
    expect(String(bundle.id).replace('bundle--', '')).toMatch(UUID);
    for (const object of objects) {
      const [type, uuid] = String(object.id).split('--');
      expect(type).toBe(object.type);
      expect(uuid).toMatch(UUID);
      expect(object.spec_version).toBe('2.1');
    }
    for (const indicator of indicators) {
      expect(indicator.created).toMatch(STIX_TIME);
      expect(indicator.modified).toMatch(STIX_TIME);
      expect(indicator.valid_from).toMatch(STIX_TIME);
      expect(indicator.pattern_type).toBe('stix');
    }
    expect(result.count).toBe(5);
    expect(patterns).toEqual([
      "[domain-name:value = 'ec2.amazonaws.com']",
      "[ipv4-addr:value = '203.0.113.7']",
      "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'aws-cli/2.15.0']",
      "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'it\\'s \\\\ odd']",
      "[user-account:user_id = 'AKIAIOSFODNN7EXAMPLE']",
    ]);
  });

  it('gives an address the id STIX derives from its value', () => {
    const bundle = stixBundle(
      [
        {
          kind: 'ip',
          value: '198.51.100.3',
          events: 1,
          first_seen: '2024-05-01T00:00:00.000Z',
          last_seen: '2024-05-01T00:00:00.000Z',
          titles: ['t'],
          tactics: [],
          techniques: [],
        },
      ],
      'test',
    );
    const objects = bundle.objects as Record<string, unknown>[];
    const address = objects.find((o) => o.type === 'ipv4-addr');

    expect(address?.id).toBe(
      `ipv4-addr--${uuidV5('{"value":"198.51.100.3"}', '00abedb4-aa42-466c-9c01-fed23315a9b7')}`,
    );
  });
});

describe('ocsf parquet export', () => {
  it('partitions events by source and day', async () => {
    const out = path.join(work, 'ocsf');
    const result = await exportCase(db, 'ocsf-parquet', out, 'test');
    const connection = await db.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT source, day::VARCHAR AS day, count(*)::INTEGER AS n, min(time)::BIGINT AS first,
           any_value(class_uid * 100 + activity_id = type_uid) AS typed,
           any_value(api.operation) AS operation, any_value(metadata.uid) AS uid
         FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true,
           hive_types = {'source': VARCHAR, 'day': VARCHAR})
         GROUP BY ALL ORDER BY ALL`,
      );

      expect(result.count).toBe(4);
      expect(await readdir(out)).toEqual(
        expect.arrayContaining(['source=aws.cloudtrail', 'source=gcp.audit']),
      );
      expect(reader.getRowObjectsJS()).toEqual([
        {
          source: 'aws.cloudtrail',
          day: '2024-05-01',
          n: 3,
          first: BigInt(Date.parse(events[0]?.time ?? '')),
          typed: true,
          operation: 'CreateAccessKey',
          uid: expect.any(String),
        },
        {
          source: 'gcp.audit',
          day: '2024-05-02',
          n: 1,
          first: BigInt(Date.parse('2024-05-02T08:00:00.000Z')),
          typed: true,
          operation: 'CreateAccessKey',
          uid: events[3]?.uid,
        },
      ]);
    } finally {
      connection.closeSync();
    }
  });
});
