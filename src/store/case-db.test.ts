import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudcaseError } from '../core/errors.ts';
import type { Event } from '../core/event.ts';
import type { RuleMeta } from '../detect/types.ts';
import { CaseDb } from './case-db.ts';
import { findingEventUidsJson } from './finding-events.ts';
import { ingestKey } from './ingest-state.ts';
import {
  CASE_MEMORY_LIMIT,
  CASE_ROW_GROUP_ROWS,
  INGEST_MEMORY_LIMIT,
  translateOpenError,
} from './open-database.ts';
import { TEST_SHA, testEvent } from './test-events.ts';
import type { TimelineFilter } from './types.ts';

let caseDir: string;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-store-'));
});

afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

async function withDb<T>(work: (db: CaseDb) => Promise<T>): Promise<T> {
  const db = await CaseDb.open(caseDir);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

async function store(db: CaseDb, events: Event[], batchSize?: number): Promise<void> {
  const writer = await db.eventWriter(batchSize);
  for (const event of events) writer.append(event);
  await writer.close();
}

async function collect(db: CaseDb, filter: TimelineFilter = {}): Promise<Event[]> {
  const events: Event[] = [];
  for await (const event of db.timeline(filter)) events.push(event);
  return events;
}

async function ruleEventUids(db: CaseDb, ruleId: string): Promise<string[]> {
  const connection = await db.connect();
  const uids: string[] = [];
  try {
    for await (const chunk of findingEventUidsJson(connection, ruleId, ',')) {
      const parsed: string[] = JSON.parse(`[${chunk.json}]`);
      expect(parsed).toHaveLength(chunk.count);
      uids.push(...parsed);
    }
  } finally {
    connection.closeSync();
  }
  return uids;
}

function mebibytes(limit: string): number {
  return (Number.parseInt(limit, 10) * 1e6) / 2 ** 20;
}

function rule(id: string, level: RuleMeta['level'], tactics: string[]): RuleMeta {
  return {
    id,
    title: `Rule ${id}`,
    level,
    description: 'test rule',
    tactics,
    techniques: ['T1098.001'],
    tags: tactics.map((tactic) => `attack.${tactic}`),
    falsepositives: [],
    file: `${id}.yml`,
  };
}

describe('CaseDb events', () => {
  it('round-trips every event field', async () => {
    const flow = testEvent(1, {
      source: 'aws.vpcflow',
      category: 'network',
      src: { ip: '10.0.0.5', port: 51000, domain: null, bytes: 9_007_199_254_740_991, packets: 12 },
      dst: { ip: '198.51.100.9', port: 22, domain: 'ssh.example', bytes: 0.5, packets: 1 },
      actor: { ...testEvent(1).actor, mfa: null, session: 'arn:aws:sts::1:assumed-role/r/s' },
      api: { service: null, operation: null, request_id: null, read_only: null },
      evidence: { sha256: TEST_SHA, member: 'logs/2024/05/01.json', record: 1, offset: 0 },
      tags: [],
      resources: [],
      raw: { deep: { a: [1, 2.5, true, null, { b: '<script>' }] }, 'odd key': '\u001b[31m' },
    });
    const events = [testEvent(0), flow, testEvent(2, { user_agent: null, message: '' })];

    const stored = await withDb(async (db) => {
      await store(db, events);
      return collect(db);
    });

    expect(stored).toEqual(events);
  });

  it('reports events without an ingest row as partial', async () => {
    const events = [testEvent(0), testEvent(1)];

    const states = await withDb(async (db) => {
      await store(db, events);
      return db.ingestStates();
    });

    expect(states.get(ingestKey(TEST_SHA, null))).toBe('partial');
  });

  it('lists events without an ingest row as a partial stream', async () => {
    const partial = await withDb(async (db) => {
      await store(db, [testEvent(0), testEvent(1)]);
      return db.partialStreams();
    });

    expect(partial).toEqual([{ sha256: TEST_SHA, member: null, path: null }]);
  });

  it('reads a partial stream again without duplicates', async () => {
    const events = [testEvent(0), testEvent(1)];

    const stored = await withDb(async (db) => {
      await store(db, events.slice(0, 1));
      await db.beginIngest(TEST_SHA, null, '/logs/a.json', 'aws.cloudtrail');
      await store(db, events);
      await db.completeIngests([
        {
          sha256: TEST_SHA,
          member: null,
          path: '/logs/a.json',
          format: 'aws.cloudtrail',
          counts: { read: 2, stored: 2, rejected: 0 },
        },
      ]);
      expect((await db.ingestStates()).get(ingestKey(TEST_SHA, null))).toBe('complete');
      return collect(db);
    });

    expect(stored.map((event) => event.uid)).toEqual([events[0]?.uid, events[1]?.uid]);
  });

  it('writes every batch when the batch size is small', async () => {
    const events = Array.from({ length: 100 }, (_, record) => testEvent(record));

    const stored = await withDb(async (db) => {
      await store(db, events, 7);
      return collect(db);
    });

    expect(stored).toHaveLength(100);
    expect(stored.at(-1)).toEqual(events.at(-1));
  });

  it('replaces a lone surrogate instead of failing the batch', async () => {
    const event = testEvent(0, { message: 'bad \ud800 text', raw: { v: '\udc00' } });

    const [stored] = await withDb(async (db) => {
      await store(db, [event]);
      return collect(db);
    });

    expect(stored?.message).toBe('bad \ufffd text');
    expect(stored?.raw).toEqual({ v: '\ufffd' });
  });

  it('stores an upper-case surrogate escape as valid JSON', async () => {
    // JSON allows escapes in either case, and DuckDB rejects a lone surrogate in its JSON functions.
    const event = testEvent(0, { raw: { v: '\ud800' } });

    const values = await withDb(async (db) => {
      const writer = await db.eventWriter();
      writer.append(event, '{"v":"\\uD800"}');
      await writer.close();
      const connection = await db.connect();
      try {
        const reader = await connection.runAndReadAll(
          `SELECT json_extract_string(raw, '$.v') AS v FROM events`,
        );
        return reader.getRowObjectsJS();
      } finally {
        connection.closeSync();
      }
    });

    expect(values).toEqual([{ v: '\ufffd' }]);
  });

  it('stores events in row groups of CASE_ROW_GROUP_ROWS', async () => {
    const events = Array.from({ length: 2 * CASE_ROW_GROUP_ROWS + 100 }, (_, record) =>
      testEvent(record),
    );
    await withDb((db) => store(db, events));

    const db = await CaseDb.openReadOnly(caseDir);
    try {
      const connection = await db.connect();
      const reader = await connection.runAndReadAll(
        `SELECT row_group_id, max(count)::INTEGER AS rows FROM pragma_storage_info('events')
         GROUP BY row_group_id ORDER BY row_group_id`,
      );
      connection.closeSync();
      expect(reader.getRowsJS()).toEqual([
        [0n, CASE_ROW_GROUP_ROWS],
        [1n, CASE_ROW_GROUP_ROWS],
        [2n, 100],
      ]);
    } finally {
      await db.close();
    }
  });

  it('lowers the memory limit during an ingest', async () => {
    const limits = await withDb(async (db) => {
      const connection = await db.connect();
      const read = async () => {
        const reader = await connection.runAndReadAll("SELECT current_setting('memory_limit')");
        return String(reader.getRowsJS()[0]?.[0]);
      };
      try {
        const during = await db.withIngestMemoryLimit(read);
        return { before: await read(), during, after: await read() };
      } finally {
        connection.closeSync();
      }
    });

    // DuckDB prints the limit in MiB, such as "122.0 MiB" for 128MB.
    expect(Number.parseFloat(limits.during)).toBeCloseTo(mebibytes(INGEST_MEMORY_LIMIT), 0);
    expect(Number.parseFloat(limits.before)).toBeCloseTo(mebibytes(CASE_MEMORY_LIMIT), 0);
    expect(limits.after).toBe(limits.before);
  });

  it('rejects an event whose time is invalid', async () => {
    await withDb(async (db) => {
      const writer = await db.eventWriter();
      expect(() => writer.append(testEvent(0, { time: 'yesterday' }))).toThrow(/invalid time/);
      await writer.close();
    });
  });
});

describe('CaseDb timeline filters', () => {
  const events = [
    testEvent(0),
    testEvent(1, {
      actor: { ...testEvent(1).actor, uid: 'arn:aws:iam::111122223333:user/Mallory', name: 'm' },
      src: { ...testEvent(1).src, ip: '198.51.100.20' },
      api: { ...testEvent(1).api, operation: 'ListBuckets' },
    }),
    testEvent(2, { source: 'gcp.audit', src: { ...testEvent(2).src, ip: '2001:db8::1' } }),
    testEvent(3, { src: { ...testEvent(3).src, ip: null, domain: 'ec2.amazonaws.com' } }),
    testEvent(4, { src: { ...testEvent(4).src, ip: '::FFFF:203.0.113.9' } }),
  ];

  const cases: [string, TimelineFilter, number[]][] = [
    ['no filter', {}, [0, 1, 2, 3, 4]],
    ['since', { since: '2024-05-01T12:00:01Z' }, [1, 2, 3, 4]],
    ['until', { until: '2024-05-01T12:00:01.000Z' }, [0, 1]],
    ['actor substring, any case', { actor: 'mALLory' }, [1]],
    ['actor name', { actor: 'ALICE' }, [0, 2, 3, 4]],
    ['ip exact', { ip: '2001:db8::1' }, [2]],
    ['ip CIDR', { ip: '198.51.100.0/24' }, [1]],
    ['ip CIDR /0 skips IPv6 and null', { ip: '0.0.0.0/0' }, [0, 1, 4]],
    ['ip matches an IPv4-mapped address', { ip: '203.0.113.9' }, [4]],
    ['ip given IPv4-mapped matches the address', { ip: '::ffff:198.51.100.20' }, [1]],
    ['ip CIDR holds an IPv4-mapped address', { ip: '203.0.113.9/32' }, [4]],
    ['ip names a calling service, any case', { ip: 'EC2.amazonaws.com' }, [3]],
    ['operation, any case', { operation: 'listbuckets' }, [1]],
    ['source', { source: 'gcp.audit' }, [2]],
    ['limit', { limit: 2 }, [0, 1]],
    ['combined', { source: 'aws.cloudtrail', operation: 'createaccesskey' }, [0, 3, 4]],
  ];

  it.each(cases)('timeline filter %s', async (_name, filter, expected) => {
    const stored = await withDb(async (db) => {
      await store(db, events);
      return collect(db, filter);
    });

    expect(stored.map((event) => event.evidence.record)).toEqual(expected);
  });

  it('timeline filter rejects invalid values', async () => {
    await withDb(async (db) => {
      await expect(collect(db, { since: 'last week' })).rejects.toThrow(/ISO 8601/);
      await expect(collect(db, { ip: '2001:db8::/32' })).rejects.toThrow(/IPv4 CIDR/);
      await expect(collect(db, { limit: -1 })).rejects.toThrow(/whole number/);
    });
  });

  it('timeline treats filter values as data', async () => {
    const stored = await withDb(async (db) => {
      await store(db, events);
      return collect(db, { actor: "' OR 1=1 --" });
    });

    expect(stored).toEqual([]);
  });
});

describe('CaseDb ingest state', () => {
  const otherSha = 'b'.repeat(64);
  const other = testEvent(9, {
    uid: `${otherSha.slice(0, 16)}:9`,
    evidence: { sha256: otherSha, member: null, record: 9, offset: 0 },
  });
  const rejectedRow = {
    path: 'trail.json',
    sha256: TEST_SHA,
    member: null,
    index: 5,
    offset: 500,
    line: 6,
    code: 'invalid_json',
    reason: 'record is not valid JSON',
    sample: '{"eventName": ',
  };

  it('resumes a partial ingest without duplicates', async () => {
    await withDb(async (db) => {
      expect(await db.ingestState(TEST_SHA, null)).toBeNull();
      await db.beginIngest(otherSha, null, 'other.json', 'aws.cloudtrail');
      await store(db, [other]);
      await db.completeIngest(otherSha, null, { read: 1, stored: 1, rejected: 0 });

      await db.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');
      await store(db, [testEvent(0), testEvent(1)]);
      await db.insertRejected([rejectedRow]);
      await db.insertMatches([
        { rule_id: 'r1', event_uid: testEvent(0).uid, time: testEvent(0).time },
      ]);
      await db.insertMatches([{ rule_id: 'r1', event_uid: other.uid, time: other.time }]);
      await db.insertCorrelationHits([
        {
          rule_id: 'c1',
          event_uids: [testEvent(1).uid, other.uid],
          first_seen: testEvent(1).time,
          last_seen: other.time,
          group: { actor: 'alice' },
        },
      ]);
    });

    await withDb(async (db) => {
      expect(await db.ingestState(TEST_SHA, null)).toBe('partial');
      await db.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');

      expect((await collect(db)).map((event) => event.uid)).toEqual([other.uid]);
      expect(await db.rejected()).toEqual([]);
      const findings = await db.findings();
      expect(findings.map((finding) => [finding.rule_id, finding.event_count])).toEqual([
        ['r1', 1],
      ]);
      expect(await ruleEventUids(db, 'r1')).toEqual([other.uid]);

      await store(db, [testEvent(0), testEvent(1), testEvent(2)]);
      await db.insertRejected([rejectedRow, rejectedRow]);
      await db.completeIngest(TEST_SHA, null, { read: 4, stored: 3, rejected: 1 });

      expect(await db.ingestState(TEST_SHA, null)).toBe('complete');
      expect(await collect(db)).toHaveLength(4);
      expect(await db.rejected()).toEqual([rejectedRow]);
    });
  });

  it('keeps members of one archive apart', async () => {
    await withDb(async (db) => {
      await db.beginIngest(TEST_SHA, 'a.json', 'logs.zip!a.json', 'aws.cloudtrail');
      await db.completeIngest(TEST_SHA, 'a.json', { read: 0, stored: 0, rejected: 0 });
      await db.beginIngest(TEST_SHA, 'b.json', 'logs.zip!b.json', 'aws.cloudtrail');

      expect(await db.ingestState(TEST_SHA, 'a.json')).toBe('complete');
      expect(await db.ingestState(TEST_SHA, 'b.json')).toBe('partial');
      expect(await db.ingestState(TEST_SHA, null)).toBeNull();
      expect((await db.ingests()).map((ingest) => ingest.path)).toEqual([
        'logs.zip!a.json',
        'logs.zip!b.json',
      ]);
    });
  });
});

const WHY = {
  reasons: [
    { search: 'selection', field: 'eventName', modifiers: [], value: 'Get', expected: 'Get' },
  ],
  omitted: 0,
};

describe('CaseDb findings and counts', () => {
  it('drops the event index that older cases kept on detections', async () => {
    const indexes = async (db: CaseDb) => {
      const connection = await db.connect();
      const reader = await connection
        .runAndReadAll(`SELECT index_name FROM duckdb_indexes() WHERE table_name = 'detections'`)
        .finally(() => connection.closeSync());
      return reader.getRowsJS().map(([name]) => String(name));
    };
    await withDb(async (db) => {
      const connection = await db.connect();
      await connection
        .run('CREATE INDEX detections_event ON detections (event_uid)')
        .finally(() => connection.closeSync());
      expect(await indexes(db)).toEqual(['detections_event']);
    });

    expect(await withDb(indexes)).toEqual([]);
  });

  it('aggregates matches and correlation hits per rule', async () => {
    const bob = testEvent(3, { actor: { ...testEvent(3).actor, uid: 'arn:aws:iam::1:user/bob' } });
    const events = [testEvent(0), testEvent(1), testEvent(2), bob];

    const findings = await withDb(async (db) => {
      await store(db, events);
      await db.upsertRules([rule('low-rule', 'low', ['discovery'])]);
      await db.upsertRules([
        rule('low-rule', 'medium', ['discovery']),
        rule('corr', 'high', ['persistence']),
      ]);
      const matches = [events[2], events[0], events[0]].map((event) => ({
        rule_id: 'low-rule',
        event_uid: event?.uid ?? '',
        time: event?.time ?? '',
        explanation: WHY,
      }));
      await db.insertMatches(matches);
      await db.insertMatches(matches);
      const hit = {
        rule_id: 'corr',
        event_uids: [bob.uid, events[1]?.uid ?? ''],
        first_seen: events[1]?.time ?? '',
        last_seen: bob.time,
        group: { 'actor.uid': 'x' },
      };
      await db.insertCorrelationHits([hit, hit]);
      await db.insertMatches([{ rule_id: 'unknown', event_uid: bob.uid, time: bob.time }]);
      const uids = Object.fromEntries(
        await Promise.all(
          ['corr', 'low-rule', 'unknown'].map(async (id) => [id, await ruleEventUids(db, id)]),
        ),
      );
      return { all: await db.findings(), uids };
    });

    expect(findings.uids).toEqual({
      corr: [events[1]?.uid, bob.uid],
      'low-rule': [events[0]?.uid, events[2]?.uid],
      unknown: [bob.uid],
    });
    expect(findings.all).toEqual([
      {
        rule_id: 'corr',
        title: 'Rule corr',
        severity: 'high',
        tactics: ['persistence'],
        techniques: ['T1098.001'],
        event_count: 2,
        first_seen: events[1]?.time,
        last_seen: bob.time,
        actors: ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::1:user/bob'],
        correlation_hits: 1,
        explanations: [],
      },
      {
        rule_id: 'low-rule',
        title: 'Rule low-rule',
        severity: 'medium',
        tactics: ['discovery'],
        techniques: ['T1098.001'],
        event_count: 2,
        first_seen: events[0]?.time,
        last_seen: events[2]?.time,
        actors: ['arn:aws:iam::111122223333:user/alice'],
        correlation_hits: 0,
        explanations: [
          { event_uid: events[0]?.uid, ...WHY },
          { event_uid: events[2]?.uid, ...WHY },
        ],
      },
      {
        rule_id: 'unknown',
        title: 'unknown',
        severity: 'informational',
        tactics: [],
        techniques: [],
        event_count: 1,
        first_seen: bob.time,
        last_seen: bob.time,
        actors: ['arn:aws:iam::1:user/bob'],
        correlation_hits: 0,
        explanations: [],
      },
    ]);
  });

  it('lists the first detected events in time order', async () => {
    const events = [testEvent(0), testEvent(1), testEvent(2)];
    const detected = await withDb(async (db) => {
      await store(db, events);
      await db.upsertRules([rule('low', 'low', ['discovery']), rule('high', 'high', ['impact'])]);
      const match = (ruleId: string, event: Event) => ({
        rule_id: ruleId,
        event_uid: event.uid,
        time: event.time,
      });
      // A detection whose event is not stored, earlier than every stored one.
      const unstored = { ...testEvent(9), time: '2024-05-01T11:00:00.000Z' };
      await db.insertMatches([
        match('low', events[2]!),
        match('low', events[1]!),
        match('high', events[1]!),
        match('high', unstored),
        match('low', events[0]!),
      ]);
      const first = await db.detectedEvents(3);
      const all = await db.detectedEvents(10);
      // A detection stored twice is listed once, and the list still contains three detections.
      const connection = await db.connect();
      await connection
        .run(`DELETE FROM detections WHERE event_uid = '${unstored.uid}';
          INSERT INTO detections SELECT * FROM detections
          WHERE rule_id = 'low' AND event_uid = '${events[0]?.uid}'`)
        .finally(() => connection.closeSync());
      return { first, all, repeated: await db.detectedEvents(3) };
    });

    const listed = (rows: typeof detected.first) => rows.map((row) => [row.rule_id, row.event.uid]);
    expect(listed(detected.first)).toEqual([
      ['low', events[0]?.uid],
      ['high', events[1]?.uid],
      ['low', events[1]?.uid],
    ]);
    expect(listed(detected.all)).toHaveLength(4);
    expect(listed(detected.all)[3]).toEqual(['low', events[2]?.uid]);
    expect(detected.repeated).toEqual(detected.first);
    expect(detected.first[0]?.event).toEqual({
      uid: events[0]?.uid,
      time: events[0]?.time,
      source: 'aws.cloudtrail',
      message: events[0]?.message,
      actor: { uid: events[0]?.actor.uid, name: events[0]?.actor.name },
      src: { ip: events[0]?.src.ip },
      api: { operation: events[0]?.api.operation },
    });
  });

  it('counts events per source and rejected records per code', async () => {
    const counts = await withDb(async (db) => {
      await db.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');
      await store(db, [testEvent(0), testEvent(1), testEvent(2, { source: 'gcp.audit' })]);
      await db.insertRejected(
        [3, 4, 5].map((index) => ({
          path: 'trail.json',
          sha256: TEST_SHA,
          member: null,
          index,
          offset: index * 10,
          line: index + 1,
          code: index === 5 ? 'missing_time' : 'invalid_json',
          reason: 'test',
          sample: '',
        })),
      );
      await db.completeIngest(TEST_SHA, null, { read: 6, stored: 3, rejected: 3 });
      await db.recordAudit('analyst', 'investigate', { paths: ['trail.json'] });
      return db.counts();
    });

    expect(counts).toEqual({
      events: 3,
      sources: [
        {
          source: 'aws.cloudtrail',
          events: 2,
          first_time: testEvent(0).time,
          last_time: testEvent(1).time,
        },
        {
          source: 'gcp.audit',
          events: 1,
          first_time: testEvent(2).time,
          last_time: testEvent(2).time,
        },
      ],
      categories: [
        {
          source: 'aws.cloudtrail',
          category: 'audit',
          events: 2,
          first_time: testEvent(0).time,
          last_time: testEvent(1).time,
        },
        {
          source: 'gcp.audit',
          category: 'audit',
          events: 1,
          first_time: testEvent(2).time,
          last_time: testEvent(2).time,
        },
      ],
      ingests: [{ format: 'aws.cloudtrail', read: 6, stored: 3, rejected: 3, streams: 1 }],
      rejected: [
        { code: 'invalid_json', count: 2 },
        { code: 'missing_time', count: 1 },
      ],
      rejected_total: 3,
    });
  });
});

describe('CaseDb locking', () => {
  function holdInChild(path: string): Promise<ChildProcess> {
    const script = `import { DuckDBInstance } from '@duckdb/node-api';
      await DuckDBInstance.create(${JSON.stringify(path)});
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });

    return new Promise((resolve, reject) => {
      child.stdout?.once('data', () => resolve(child));
      child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
  }

  it('raises case_locked when another process holds the file', async () => {
    await (await CaseDb.open(caseDir)).close();
    const child = await holdInChild(join(caseDir, 'case.duckdb'));
    try {
      const error = await CaseDb.open(caseDir).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(CloudcaseError);
      expect((error as CloudcaseError).code).toBe('case_locked');
      expect((error as CloudcaseError).exitCode).toBe(4);
      expect((error as CloudcaseError).message).toMatch(
        /another cloudcase command is using this case .*; wait for it to finish/,
      );
    } finally {
      child.kill();
    }
  });

  it('raises case_locked on a second open in this process', async () => {
    await withDb(async () => {
      await expect(CaseDb.open(caseDir)).rejects.toMatchObject({ code: 'case_locked' });
      await expect(CaseDb.openReadOnly(caseDir)).rejects.toMatchObject({ code: 'case_locked' });
    });

    const reader = await CaseDb.openReadOnly(caseDir);
    await reader.close();
  });

  it.skipIf(process.getuid?.() === 0)('raises case_not_writable for a read-only file', async () => {
    await (await CaseDb.open(caseDir)).close();
    await chmod(join(caseDir, 'case.duckdb'), 0o444);

    await expect(CaseDb.open(caseDir)).rejects.toMatchObject({ code: 'case_not_writable' });
  });

  it('raises case_not_found for a missing case', async () => {
    await expect(CaseDb.openReadOnly(caseDir)).rejects.toMatchObject({ code: 'case_not_found' });
    await expect(CaseDb.open(join(caseDir, 'missing'))).rejects.toMatchObject({
      code: 'case_not_found',
    });
  });
});

describe('translateOpenError', () => {
  // Messages of DuckDB 1.5.
  const LOCKED =
    'IO Error: Could not set lock on file "/c/case.duckdb": Conflicting lock is held in node (PID 7)';
  const DENIED = 'IO Error: Cannot open file "/c/case.duckdb": Permission denied';
  const READ_ONLY_FS = 'IO Error: Cannot open file "/c/case.duckdb": Read-only file system';

  async function translated(message: string, readOnly: boolean): Promise<CloudcaseError> {
    const path = join(caseDir, 'case.duckdb');
    await writeFile(path, '');

    return translateOpenError(new Error(message), caseDir, path, readOnly);
  }

  it('maps each cause to its code', async () => {
    const cases: [string, boolean, string][] = [
      [LOCKED, false, 'case_locked'],
      [READ_ONLY_FS, false, 'case_not_writable'],
      [DENIED, false, 'case_not_writable'],
      [DENIED, true, 'case_not_readable'],
      ['Serialization Error: not a DuckDB file', false, 'case_open_failed'],
    ];
    for (const [message, readOnly, code] of cases) {
      const error = await translated(message, readOnly);

      expect(error.code, message).toBe(code);
      expect(error.exitCode, message).toBe(4);
      expect(error.message, message).not.toContain('serve');
    }
  });

  it('says what to do next', async () => {
    expect((await translated(LOCKED, false)).message).toBe(
      `another cloudcase command is using this case (${caseDir}); wait for it to finish`,
    );
    expect((await translated(DENIED, false)).message).toMatch(/is not writable .*write access/);
    expect((await translated(READ_ONLY_FS, false)).message).toMatch(/read-only file system/);
    expect((await translated(DENIED, true)).message).toMatch(/is not readable .*read access/);
  });
});

describe('CaseDb failed transactions', () => {
  // A match of an event the case does not hold keeps its own time, and one that is no time
  // leaves `detections.time` NULL, which the table refuses. The INSERT fails inside the
  // transaction, so the statements that clean up after it fail too.
  const untimed = { rule_id: 'r', event_uid: 'not-stored', time: 'not a time' };

  it('raises the cause of a failed match insert', async () => {
    await withDb(async (db) => {
      const failure = await db.insertMatches([untimed]).catch((error: unknown) => error);

      expect(String(failure)).toMatch(/NOT NULL constraint failed: detections\.time/);
      expect(String(failure)).not.toMatch(/transaction is aborted/);
      // The transaction was rolled back, so the case takes the next write.
      const event = testEvent(0);
      await store(db, [event]);
      await db.insertMatches([{ rule_id: 'r', event_uid: event.uid, time: event.time }]);
      expect((await db.findings()).map((finding) => finding.rule_id)).toEqual(['r']);
    });
  });

  it('raises the cause of a failed correlation insert', async () => {
    await withDb(async (db) => {
      const hit = { rule_id: 'c', event_uids: ['e'], first_seen: 'x', last_seen: 'x', group: {} };
      const failure = await db.replaceCorrelationHits(['c'], [hit]).catch((error) => error);

      expect(String(failure)).toMatch(/NOT NULL constraint failed/);
      expect(String(failure)).not.toMatch(/transaction is aborted/);
    });
  });

  it('raises out of memory while storing matches', async () => {
    await withDb(async (db) => {
      const connection = await db.connect();
      // The limit is the instance's, so the case's main connection runs under it too.
      await connection.run("SET memory_limit = '2MB'").finally(() => connection.closeSync());
      const matches = Array.from({ length: 2_000 }, (_, index) => ({
        rule_id: `r${index}`,
        event_uid: `${'u'.repeat(2_000)}${index}`,
        time: '2024-01-01T00:00:00Z',
      }));
      const failure = await db.insertMatches(matches).catch((error: unknown) => error);

      expect(String(failure)).toMatch(/Out of Memory Error/);
    });
  });
});
