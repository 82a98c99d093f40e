import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyActor } from '../../core/event.ts';
import type { RuleMeta } from '../../detect/types.ts';
import { CaseDb } from '../../store/index.ts';
import { extractCaseEntities } from '../entities/index.ts';
import { call, user } from '../entities/test-calls.ts';
import { caseWithEvents } from '../test-case.ts';
import { type Indicator, type ScopeOptions, scopeOf } from './index.ts';

const KEY = 'AKIAALICE0000000KEY1';
const NEW_KEY = 'AKIABACKDOOR00000001';
const OFFICE = '192.0.2.10';
const ATTACKER = '203.0.113.9';
const BUCKET = 'arn:aws:s3:::exports';

const EVENTS = [
  call(0, { hour: 1, actor: user('alice'), ip: OFFICE }),
  call(1, { hour: 30, actor: user('alice'), ip: OFFICE }),
  call(2, { hour: 50, actor: user('alice'), ip: ATTACKER }),
  call(3, {
    hour: 50.1,
    actor: user('alice'),
    ip: ATTACKER,
    operation: 'CreateAccessKey',
    resources: [{ uid: 'backdoor', type: 'AWS::IAM::User' }],
    raw: { responseElements: { accessKey: { accessKeyId: NEW_KEY } } },
  }),
  call(4, {
    hour: 51,
    actor: user('backdoor'),
    key: NEW_KEY,
    ip: '198.51.100.4',
    operation: 'GetObject',
    readOnly: true,
    resources: [{ uid: `${BUCKET}/a.csv`, type: 'AWS::S3::Object' }],
  }),
  call(5, { hour: 52, actor: user('alice'), ip: OFFICE }),
  call(6, {
    hour: 53,
    actor: user('bob'),
    key: 'AKIABOB0000000000001',
    ip: OFFICE,
    operation: 'GetObject',
    readOnly: true,
    resources: [{ uid: `${BUCKET}/a.csv`, type: 'AWS::S3::Object' }],
  }),
  call(7, {
    hour: 54,
    actor: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_01/carol',
    key: 'ASIACAROL00000000001',
    ip: OFFICE,
  }),
  call(8, {
    hour: 51.5,
    actor: user('backdoor'),
    key: NEW_KEY,
    ip: '198.51.100.4',
    operation: 'AssumeRole',
    raw: { responseElements: { credentials: { accessKeyId: 'ASIACHAIN00000000001' } } },
  }),
  call(9, {
    hour: 52.5,
    actor: 'arn:aws:sts::111122223333:assumed-role/admin/x',
    key: 'ASIACHAIN00000000001',
    ip: '198.51.100.4',
    operation: 'AssumeRole',
    raw: { responseElements: { credentials: { accessKeyId: 'ASIACHAIN00000000002' } } },
  }),
  call(10, {
    hour: 53.5,
    actor: 'arn:aws:sts::444455556666:assumed-role/audit/y',
    key: 'ASIACHAIN00000000002',
    ip: '198.51.100.4',
  }),
  {
    ...call(11, {
      hour: 60,
      actor: 'anonymous',
      key: null,
      ip: '192.0.2.99',
      operation: 'REST.GET.OBJECT',
      source: 'aws.s3access',
      resources: [{ uid: `${BUCKET}/a.csv`, type: 'AWS::S3::Object' }],
    }),
    actor: { ...emptyActor(), type: 'Anonymous' },
  },
];

const RULE: RuleMeta = {
  id: 'test-new-source',
  title: 'Key used from a new source',
  level: 'high',
  description: '',
  tactics: ['initial-access'],
  techniques: [],
  tags: [],
  falsepositives: [],
  file: 'test',
};

let caseDir: string;

beforeAll(async () => {
  caseDir = await caseWithEvents(EVENTS);
  const db = await CaseDb.open(caseDir);
  try {
    await db.upsertRules([RULE]);
    const flagged = EVENTS[2];
    if (flagged === undefined) throw new Error('missing event');
    await db.insertMatches([{ rule_id: RULE.id, event_uid: flagged.uid, time: flagged.time }]);
    await extractCaseEntities(db);
  } finally {
    await db.close();
  }
});

afterAll(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

async function scope(indicator: Indicator, options: ScopeOptions = {}) {
  const db = await CaseDb.openReadOnly(caseDir);
  const connection = await db.connect();
  try {
    return await scopeOf(connection, indicator, options);
  } finally {
    connection.closeSync();
    await db.close();
  }
}

const uids = (records: number[]) => records.map((r) => EVENTS[r]?.uid);

describe('scopeOf', () => {
  it("leaves out a key's usual sources and follows the key it created", async () => {
    const result = await scope({ kind: 'key', value: KEY });

    expect(result.event_list.map((e) => e.uid)).toEqual(uids([2, 3, 4, 8, 9, 10]));
    expect(result.split.excluded.map((s) => s.source)).toEqual([OFFICE]);
    expect(result.created.map((c) => c.value)).toEqual([
      NEW_KEY,
      'ASIACHAIN00000000001',
      'ASIACHAIN00000000002',
    ]);
    expect(result.changes.map((c) => c.operation)).toEqual(['CreateAccessKey']);
    expect(result.data_read).toMatchObject([{ resource: `${BUCKET}/a.csv`, events: 1 }]);
    expect(result.dwell_seconds).toBe(3.5 * 3600);
  });

  it('keeps the usual activity with all', async () => {
    const result = await scope({ kind: 'key', value: KEY }, { all: true });

    expect(result.events).toBe(9);
    expect(result.split.mode).toBe('all');
  });

  it('names the leaked key in the verdict', async () => {
    const result = await scope({ kind: 'key', value: KEY });

    expect(result.vector).toMatchObject([{ verdict: 'leaked_long_term_key', access_key: KEY }]);
    expect(result.vector[0]?.summary).toContain('after 2 successful calls');
  });

  it('leaves a key without detections undetermined', async () => {
    const result = await scope({ kind: 'key', value: 'AKIABOB0000000000001' });

    expect(result.vector.map((v) => v.verdict)).toEqual(['undetermined']);
    expect(result.vector[0]?.summary).toContain('no detection fired');
  });

  it('takes a role name for its sessions', async () => {
    const result = await scope({ kind: 'identity', value: 'AWSReservedSSO_Admin_01' });

    expect(result.event_list.map((e) => e.uid)).toEqual(uids([7]));
  });

  it('does not follow the actors that touched a resource', async () => {
    const result = await scope({ kind: 'resource', value: `${BUCKET}/a.csv` });

    expect(result.event_list.map((e) => e.uid)).toEqual(uids([4, 6, 11]));
    expect(result.created).toEqual([]);
  });

  it('scopes an address without the other uses of its keys', async () => {
    const result = await scope({ kind: 'ip', value: ATTACKER });

    expect(result.event_list.map((e) => e.uid)).toEqual(uids([2, 3, 4, 8, 9, 10]));
  });

  it('calls anonymous reads public exposure', async () => {
    const result = await scope({ kind: 'ip', value: '192.0.2.99' });

    expect(result.vector.map((v) => v.verdict)).toEqual(['public_exposure']);
    expect(result.data_read).toMatchObject([{ resource: `${BUCKET}/a.csv` }]);
  });

  it('puts detections and created keys on the chain', async () => {
    const result = await scope({ kind: 'key', value: KEY });

    expect(result.chain.steps.map((s) => s.tactic)).toEqual([
      'initial-access',
      'persistence',
      'persistence',
      'persistence',
    ]);
    expect(result.chain.narrative[0]).toContain('initial access: Key used from a new source');
  });
});

describe('scopeOf with a rule that fires on every call of an identity', () => {
  const ROOT = 'arn:aws:iam::111122223333:root';
  const root = (record: number, hour: number, ip: string, operation: string) => {
    const event = call(record, { hour, actor: ROOT, type: 'Root', key: null, ip, operation });
    return { ...event, actor: { ...event.actor, mfa: false } };
  };
  const events = [
    root(0, 1, OFFICE, 'ConsoleLogin'),
    root(1, 30, OFFICE, 'ConsoleLogin'),
    root(2, 31, OFFICE, 'SetContactAddress'),
    root(3, 80, ATTACKER, 'ConsoleLogin'),
    root(4, 80.5, ATTACKER, 'StopLogging'),
    root(5, 81, ATTACKER, 'CreateUser'),
  ];
  const rule = (id: string, level: RuleMeta['level']): RuleMeta => ({
    ...RULE,
    id,
    title: id,
    level,
  });
  let rootCase: string;

  beforeAll(async () => {
    rootCase = await caseWithEvents(events);
    const db = await CaseDb.open(rootCase);
    try {
      await db.upsertRules([rule('root-activity', 'high'), rule('trail-stopped', 'high')]);
      await db.insertMatches([
        ...events.map((e) => ({ rule_id: 'root-activity', event_uid: e.uid, time: e.time })),
        { rule_id: 'trail-stopped', event_uid: String(events[4]?.uid), time: events[4]?.time },
      ] as { rule_id: string; event_uid: string; time: string }[]);
      await extractCaseEntities(db);
    } finally {
      await db.close();
    }
  });

  afterAll(async () => {
    await rm(rootCase, { recursive: true, force: true });
  });

  async function scopeRoot(options: ScopeOptions = {}) {
    const db = await CaseDb.openReadOnly(rootCase);
    const connection = await db.connect();
    try {
      return await scopeOf(connection, { kind: 'identity', value: ROOT }, options);
    } finally {
      connection.closeSync();
      await db.close();
    }
  }

  it("leaves out the owner's usual address and its changes", async () => {
    const result = await scopeRoot();

    expect(result.split.suspicious_sources.map((s) => s.source)).toEqual([ATTACKER]);
    expect(result.split.excluded.map((s) => s.source)).toEqual([OFFICE]);
    expect(result.event_list.map((e) => e.src_ip)).toEqual([ATTACKER, ATTACKER, ATTACKER]);
    expect(result.changes.map((c) => c.operation)).toEqual(['StopLogging', 'CreateUser']);
  });

  it("puts the first suspicious event and the sign-in on the attacker's address", async () => {
    for (const all of [false, true]) {
      const [vector] = (await scopeRoot({ all })).vector;

      expect(vector?.verdict).toBe('console_login_without_mfa');
      expect(vector?.summary).toContain(`from ${ATTACKER}`);
      expect(vector?.first_suspicious).toMatchObject({
        source: ATTACKER,
        operation: 'StopLogging',
      });
      expect(vector?.evidence).toContain(events[3]?.uid);
      expect(vector?.evidence).not.toContain(events[0]?.uid);
    }
  });
});
