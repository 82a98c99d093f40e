import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, test } from 'vitest';
import type { Event } from '../../core/event.ts';
import { CORRELATION_CASES } from '../sigma/conformance-cases.ts';
import { parseRuleText } from '../sigma/parse.ts';
import { RuleSet } from '../sigma/rule-set.ts';
import { cloudtrailEvent } from '../sigma/test-events.ts';
import type { CorrelationHit } from '../types.ts';
import { CorrelationSpill, newSpillFolder, type SpillLimits } from './correlation-spill.ts';

async function newSpill(limits: Partial<SpillLimits> = {}): Promise<CorrelationSpill> {
  return CorrelationSpill.create(await mkdtemp(join(tmpdir(), 'cloudcase-spill-test-')), limits);
}

/** Matches `events` with rules spilled and with rules in memory, and returns both hit lists. */
async function bothWays(rules: string, events: Event[], limits: Partial<SpillLimits> = {}) {
  const parsed = parseRuleText(rules, 'case.yml');
  expect(parsed.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  const memory = new RuleSet(parsed.rules);
  const spill = await newSpill(limits);
  try {
    const spilled = new RuleSet(parsed.rules, { occurrences: spill });
    for (const event of events) {
      memory.match(event);
      spilled.match(event);
    }
    return { memory: memory.finish(), spilled: await spill.evaluate(spilled.correlationPlan()) };
  } finally {
    await spill.close();
  }
}

// Pairs of a login and a later key by one user, and bursts of them. The pairs depend on the
// order of occurrences at the same time.
const ORDERED_PAIRS = `title: login then key
correlation:
  type: temporal_ordered
  rules: [login, key]
  group-by: [userIdentity.userName]
  timespan: 5m
---
title: bursts of ordered pairs
correlation:
  type: event_count
  rules: [login then key]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition:
    gte: 2
---
title: login
name: login
logsource: {product: aws, service: cloudtrail}
detection: {selection: {eventName: ConsoleLogin}, condition: selection}
---
title: key
name: key
logsource: {product: aws, service: cloudtrail}
detection: {selection: {eventName: CreateAccessKey}, condition: selection}
`;

const byHit = (hits: CorrelationHit[]) =>
  hits.map((hit) => `${hit.rule_id} ${hit.first_seen} ${hit.last_seen} ${hit.event_uids}`);

describe('CorrelationSpill', () => {
  test.each(CORRELATION_CASES)('gives the in-memory hits: $name', async ({ rules, events }) => {
    const stream = events.map(({ time, record }, i) => cloudtrailEvent(record, `e${i}`, time));
    const { memory, spilled } = await bothWays(rules, stream);

    expect(spilled).toEqual(memory);
  });

  test('matches memory over a group read in several chunks', async () => {
    // Two base rules and a chained correlation over a group of 6,000 occurrences, many at the
    // same second, which the spill reads back in several chunks of DuckDB's 2,048 rows. The
    // pairs depend on the arrival order of occurrences at the same time.
    const start = Date.parse('2024-05-01T00:00:00Z');
    const events = Array.from({ length: 6_000 }, (_, i) => {
      const eventName = i % 3 === 0 ? 'CreateAccessKey' : 'ConsoleLogin';
      const time = new Date(start + Math.floor(i / 7) * 20_000).toISOString();
      return cloudtrailEvent({ eventName, userIdentity: { userName: 'alice' } }, `e${i}`, time);
    });
    const { memory, spilled } = await bothWays(ORDERED_PAIRS, events);

    expect(memory.length).toBeGreaterThan(1);
    expect(byHit(spilled)).toEqual(byHit(memory));
  });

  test('sorts long uids within its memory limit', async () => {
    // 12,000 uids of 1,500 bytes, as an archive member's name makes them, in three groups. Sorted
    // in one query they ran out of 24 MB in DuckDB; stretches of 256 KiB fit, and the lines
    // must come back in the order one sort gives.
    const member = 'M'.repeat(1_500);
    const start = Date.parse('2024-05-01T00:00:00Z');
    const events = Array.from({ length: 12_000 }, (_, i) => {
      const eventName = i % 3 === 0 ? 'CreateAccessKey' : 'ConsoleLogin';
      const userName = ['alice', 'bob', 'carol'][i % 7 === 0 ? 2 : i % 2]!;
      const time = new Date(start + Math.floor(i / 5) * 20_000).toISOString();
      const uid = `0123456789abcdef:${member}#${i}`;
      return cloudtrailEvent({ eventName, userIdentity: { userName } }, uid, time);
    });
    const limits = { memory: '24MB', stretchBytes: 256 * 1024 };
    const { memory, spilled } = await bothWays(ORDERED_PAIRS, events, limits);

    expect(memory.length).toBeGreaterThan(1);
    expect(byHit(spilled)).toEqual(byHit(memory));
  });

  test('sorts long group keys within its memory limit', async () => {
    // 12,000 occurrences in three groups whose user names are 3,000 bytes long: 36 MB of group
    // keys, more than the spill's 24 MB, which a sort that carries each key cannot hold.
    const start = Date.parse('2024-05-01T00:00:00Z');
    const events = Array.from({ length: 12_000 }, (_, i) => {
      const eventName = i % 3 === 0 ? 'CreateAccessKey' : 'ConsoleLogin';
      const userName = `${['alice', 'bob', 'carol'][i % 7 === 0 ? 2 : i % 2]}${'n'.repeat(3_000)}`;
      const time = new Date(start + Math.floor(i / 5) * 20_000).toISOString();
      return cloudtrailEvent({ eventName, userIdentity: { userName } }, `e${i}`, time);
    });
    const limits = { memory: '24MB', stretchBytes: 256 * 1024 };
    const { memory, spilled } = await bothWays(ORDERED_PAIRS, events, limits);

    expect(memory.length).toBeGreaterThan(1);
    expect(byHit(spilled)).toEqual(byHit(memory));
  });

  test('evaluates occurrences larger than its memory limit', async () => {
    // 4,000 occurrences with 16 KB user names: 64 MB of occurrences loaded into 48 MB.
    const start = Date.parse('2024-05-01T00:00:00Z');
    const events = Array.from({ length: 4_000 }, (_, i) => {
      const eventName = i % 3 === 0 ? 'CreateAccessKey' : 'ConsoleLogin';
      const userName = `${['alice', 'bob'][i % 2]}${'n'.repeat(16_000)}`;
      const time = new Date(start + Math.floor(i / 5) * 20_000).toISOString();
      return cloudtrailEvent({ eventName, userIdentity: { userName } }, `e${i}`, time);
    });
    const limits = { memory: '48MB', stretchBytes: 256 * 1024 };
    const { memory, spilled } = await bothWays(ORDERED_PAIRS, events, limits);

    expect(memory.length).toBeGreaterThan(1);
    expect(byHit(spilled)).toEqual(byHit(memory));
  });

  test('orders occurrences by rank, not arrival', async () => {
    const start = Date.parse('2024-05-01T00:00:00Z');
    const events = Array.from({ length: 600 }, (_, i) => {
      const eventName = i % 3 === 0 ? 'CreateAccessKey' : 'ConsoleLogin';
      const time = new Date(start + Math.floor(i / 7) * 20_000).toISOString();
      return cloudtrailEvent({ eventName, userIdentity: { userName: 'alice' } }, `e${i}`, time);
    });
    const parsed = parseRuleText(ORDERED_PAIRS, 'case.yml');
    const memory = new RuleSet(parsed.rules);
    for (const event of events) memory.match(event);
    const inOrder = memory.finish();
    const reversed = async (ranked: boolean) => {
      const spill = await newSpill();
      try {
        const spilled = new RuleSet(parsed.rules, { occurrences: spill });
        for (const [i, event] of [...events.entries()].reverse()) {
          if (ranked) spill.rank(i + 1);
          spilled.match(event);
        }
        return await spill.evaluate(spilled.correlationPlan());
      } finally {
        await spill.close();
      }
    };

    expect(inOrder.length).toBeGreaterThan(1);
    expect(byHit(await reversed(true))).toEqual(byHit(inOrder));
    expect(byHit(await reversed(false))).not.toEqual(byHit(inOrder));
  });

  test('keeps lines longer than its write buffer', async () => {
    // Values of 30,000 and 40,000 characters of two UTF-8 bytes each make lines of over 32,768
    // characters, which may not fit the 64 KiB buffer. Shorter lines around them share it.
    const rules = `title: many long values
correlation:
  type: value_count
  rules: [put]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition: { field: requestParameters.key, gte: 4 }
---
title: put
name: put
logsource: {product: aws, service: cloudtrail}
detection: {selection: {eventName: PutObject}, condition: selection}
`;
    const keys = [
      'short',
      'é'.repeat(40_000),
      'ü'.repeat(30_000),
      'also short',
      'é'.repeat(40_000),
    ];
    const events = keys.map((key, i) =>
      cloudtrailEvent(
        { eventName: 'PutObject', userIdentity: { userName: 'bob' }, requestParameters: { key } },
        `e${i}`,
        `2024-05-01T00:0${i}:00.000Z`,
      ),
    );
    const { memory, spilled } = await bothWays(rules, events);

    expect(memory).toHaveLength(1);
    expect(spilled).toEqual(memory);
  });

  test('evaluates a spill without occurrences', async () => {
    const { memory, spilled } = await bothWays(CORRELATION_CASES.at(-1)!.rules, []);

    expect(memory).toEqual([]);
    expect(spilled).toEqual([]);
  });

  test('close removes its folder', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cloudcase-spill-test-'));
    const spill = await CorrelationSpill.create(folder);
    spill.add(0, '["alice"]', 0, 'e0', 0, []);
    await spill.close();

    expect(existsSync(folder)).toBe(false);
  });

  test('a rule set with a sink leaves evaluation to it', async () => {
    const spill = await newSpill();
    try {
      const parsed = parseRuleText(CORRELATION_CASES[0]!.rules, 'case.yml');
      const set = new RuleSet(parsed.rules, { occurrences: spill });

      expect(() => set.finish()).toThrow('sink');
    } finally {
      await spill.close();
    }
  });

  test('a new folder removes the spill of a killed run', async () => {
    const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-spill-case-'));
    const instance = await DuckDBInstance.create(join(caseDir, 'case.duckdb'));
    const connection = await instance.connect();
    try {
      // A process that has ended stands for a run killed before it removed its spill.
      const ended = spawnSync(process.execPath, ['-e', '']).pid;
      const left = join(caseDir, `case.duckdb.tmp-correlations-${ended}-a1b2c3`);
      const running = join(caseDir, `case.duckdb.tmp-correlations-${process.pid}-d4e5f6`);
      for (const folder of [left, running]) {
        await mkdir(folder);
        await writeFile(join(folder, 'occurrences.tsv'), '0\t0\t0\t0\t["a"]\t"e0"\t\n');
      }

      const created = await newSpillFolder(connection);

      expect(existsSync(left)).toBe(false);
      expect(existsSync(running)).toBe(true);
      expect(basename(created)).toMatch(`case.duckdb.tmp-correlations-${process.pid}-`);
    } finally {
      connection.closeSync();
      instance.closeSync();
      await rm(caseDir, { recursive: true, force: true });
    }
  });
});
