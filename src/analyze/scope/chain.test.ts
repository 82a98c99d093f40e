import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleMeta } from '../../detect/types.ts';
import { intelRuleId, toCorrelationHit } from '../../intel/intel-store.ts';
import { CaseDb } from '../../store/index.ts';
import { call, user } from '../entities/test-calls.ts';
import { caseWithEvents, withConnection } from '../test-case.ts';
import { INDICATOR_MATCH, UNTAGGED } from './chain.ts';
import { scopeOf } from './index.ts';

const ATTACKER = '203.0.113.9';
const INTEL_FILE = '/intel/bad-ips.txt';

const EVENTS = [
  call(0, { hour: 1, actor: user('mallory'), ip: ATTACKER }),
  call(1, { hour: 2, actor: user('mallory'), ip: ATTACKER, operation: 'CreateUser' }),
];

const RULES: RuleMeta[] = [
  {
    id: intelRuleId(INTEL_FILE),
    title: 'Threat intel match: bad-ips.txt',
    level: 'high',
    description: '',
    tactics: [],
    techniques: [],
    tags: ['intel'],
    falsepositives: [],
    file: INTEL_FILE,
  },
  {
    id: 'test-untagged',
    title: 'Rule without a tactic',
    level: 'medium',
    description: '',
    tactics: [],
    techniques: [],
    tags: [],
    falsepositives: [],
    file: 'test',
  },
];

let caseDir: string;

beforeAll(async () => {
  caseDir = await caseWithEvents(EVENTS);
  const db = await CaseDb.open(caseDir);
  try {
    await db.upsertRules(RULES);
    const hit = toCorrelationHit({
      indicator: { type: 'ip', value: ATTACKER, source: INTEL_FILE, line: 3, label: null },
      fields: ['src.ip'],
      uids: EVENTS.map((event) => event.uid),
      matches: 2,
      first: EVENTS[0]?.time ?? '',
      last: EVENTS[1]?.time ?? '',
    });
    await db.replaceCorrelationHits([hit.rule_id], [hit]);
    const second = EVENTS[1];
    if (second === undefined) throw new Error('missing event');
    await db.insertMatches([
      { rule_id: 'test-untagged', event_uid: second.uid, time: second.time },
    ]);
  } finally {
    await db.close();
  }
});

afterAll(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

describe('attack chain', () => {
  it('labels intel matches as indicator matches', async () => {
    const chain = await withConnection(caseDir, async (connection) => {
      const scope = await scopeOf(connection, { kind: 'ip', value: ATTACKER });
      return scope.chain;
    });
    const intel = chain.steps.find((step) => step.title.startsWith('Threat intel match'));

    expect(intel?.tactic).toBe(INDICATOR_MATCH);
    expect(intel?.title).toBe(`Threat intel match: bad-ips.txt, indicator ${ATTACKER}`);
    expect(intel?.events).toBe(2);
    expect(chain.narrative[0]).toContain('indicator match: Threat intel match');
  });

  it('marks rules without a tactic as untagged', async () => {
    const chain = await withConnection(caseDir, async (connection) => {
      const scope = await scopeOf(connection, { kind: 'ip', value: ATTACKER });
      return scope.chain;
    });
    const tactics = chain.steps.map((step) => step.tactic);

    expect(tactics).toContain(UNTAGGED);
    expect(tactics).not.toContain('unknown');
  });
});
