import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { generateScenario } from '../demo/index.ts';
import { runInvestigate } from '../pipeline/investigate.ts';
import { CaseDb } from '../store/index.ts';
import { BURST_AT_NEW_HOUR_ID } from './burst-at-new-hour.ts';
import { KEY_NEW_SOURCE_ID } from './long-term-key-new-source.ts';
import { type AnalyticsResult, runAnalytics, storeAnalyticsResult } from './run-analytics.ts';
import { withConnection } from './test-case.ts';

const DANA_KEY = 'AKIAQ3EGV7KAMD4NAK3Y';
const DANA_ARN = 'arn:aws:iam::111122223333:user/dana.kim';
const ATTACKER_IP = '203.0.113.77';

let root: string;
let caseDir: string;
let result: AnalyticsResult;
/** Event uid to source IP and access key, for every event in the case. */
let events: Map<string, { ip: string | null; key: string | null }>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cloudcase-analyze-demo-'));
  caseDir = join(root, 'case');
  const scenario = await generateScenario(join(root, 'logs'), { seed: 3, days: 4, scale: 0.5 });
  await runInvestigate({
    paths: [scenario.outDir],
    caseDir,
    noBuiltinRules: true,
    logger: silentLogger(),
    analyst: 'test',
  });

  await withConnection(caseDir, async (connection) => {
    result = await runAnalytics(connection);
    const reader = await connection.runAndReadAll(
      'SELECT uid, src_ip, actor_access_key FROM events',
    );
    events = new Map(
      reader
        .getRowObjectsJS()
        .map((row) => [
          String(row.uid),
          { ip: row.src_ip as string | null, key: row.actor_access_key as string | null },
        ]),
    );
  });
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('runAnalytics on the demo scenario', () => {
  it('flags the leaked key at the attacker address', () => {
    const keyHits = result.hits.filter((hit) => hit.rule_id === KEY_NEW_SOURCE_ID);

    expect(keyHits).toHaveLength(1);
    expect(keyHits[0]?.group.actor_access_key).toBe(DANA_KEY);
    expect(keyHits[0]?.group.src_ip).toBe(ATTACKER_IP);
    for (const uid of keyHits[0]?.event_uids ?? []) {
      expect(events.get(uid)).toEqual({ ip: ATTACKER_IP, key: DANA_KEY });
    }
  });

  it('puts every attacker call with the key in the hit', () => {
    const attackerCalls = [...events].filter(
      ([, event]) => event.ip === ATTACKER_IP && event.key === DANA_KEY,
    );
    const hitUids = new Set(result.hits.flatMap((hit) => hit.event_uids));

    expect(attackerCalls.length).toBeGreaterThan(1);
    for (const [uid] of attackerCalls) expect(hitUids.has(uid)).toBe(true);
  });

  it('flags the night burst of the leaked key', () => {
    const bursts = result.hits.filter((hit) => hit.rule_id === BURST_AT_NEW_HOUR_ID);

    expect(bursts).toHaveLength(1);
    expect(bursts[0]?.group.actor_uid).toBe(DANA_ARN);
    for (const uid of bursts[0]?.event_uids ?? []) {
      expect(events.get(uid)?.ip).toBe(ATTACKER_IP);
    }
  });

  it('flags no benign identity', () => {
    const actors = new Set(result.hits.map((hit) => hit.group.actor_uid));

    expect([...actors]).toEqual([DANA_ARN]);
  });

  it('flags no single event', () => {
    expect(result.matches).toEqual([]);
  });

  it('stores results as findings once', async () => {
    const db = await CaseDb.open(caseDir);
    try {
      await storeAnalyticsResult(db, result);
      await storeAnalyticsResult(db, result);
      const findings = await db.findings();
      const finding = findings.find((item) => item.rule_id === KEY_NEW_SOURCE_ID);

      expect(finding?.severity).toBe('high');
      expect(finding?.techniques).toEqual(['T1078.004']);
      expect(finding?.correlation_hits).toBe(1);
    } finally {
      await db.close();
    }
  });
});
