import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCaseBaselines } from '../../baseline/index.ts';
import type { Event } from '../../core/event.ts';
import { CaseDb } from '../../store/index.ts';
import { extractCaseEntities } from '../entities/index.ts';
import { call } from '../entities/test-calls.ts';
import { caseWithEvents, withConnection } from '../test-case.ts';
import { scopeOf } from './index.ts';

const OFFICE = '192.0.2.10';
const ATTACKER = '203.0.113.9';

/** Builds a successful Okta sign-in of `user` at `hour`, from `ip`. */
function signIn(record: number, user: string, hour: number, ip: string): Event {
  const event = call(record, {
    hour,
    actor: user,
    key: null,
    ip,
    source: 'okta.system',
    type: 'User',
    operation: 'user.session.start',
  });
  return { ...event, category: 'identity', class_uid: 3002, activity: 'Logon' };
}

const SAML_USER = 'SAMLPROVIDERID0001:dana@example.com';
const SAML_KEY = 'ASIASAMLATTACKER0001';

/** Builds an AssumeRoleWithSAML call of the SAML user at `hour`, returning `key`. */
function samlSignIn(record: number, hour: number, ip: string, key: string): Event {
  return call(record, {
    hour,
    actor: SAML_USER,
    key: null,
    ip,
    type: 'SAMLUser',
    operation: 'AssumeRoleWithSAML',
    raw: { responseElements: { credentials: { accessKeyId: key } } },
  });
}

const INSTANCE_SESSION = 'arn:aws:sts::111122223333:assumed-role/WebRole/i-0123456789abcdef0';

// Everyone signs in at 09:00 each day, so only the address differs.
const EVENTS = [
  signIn(0, 'bob@example.com', 9, OFFICE),
  signIn(1, 'bob@example.com', 33, OFFICE),
  signIn(2, 'bob@example.com', 57, ATTACKER),
  signIn(3, 'carol@example.com', 9, OFFICE),
  signIn(4, 'carol@example.com', 33, OFFICE),
  signIn(5, 'carol@example.com', 57, OFFICE),
  samlSignIn(6, 9, OFFICE, 'ASIASAMLOFFICE000001'),
  samlSignIn(7, 33, OFFICE, 'ASIASAMLOFFICE000002'),
  samlSignIn(8, 57, ATTACKER, SAML_KEY),
  call(9, {
    hour: 57.1,
    actor: 'arn:aws:sts::111122223333:assumed-role/Admin/dana@example.com',
    key: SAML_KEY,
    ip: ATTACKER,
  }),
  ...[9, 33, 57].map((hour, index) =>
    call(10 + index, {
      hour,
      actor: INSTANCE_SESSION,
      key: 'ASIAINSTANCE00000001',
      ip: hour === 57 ? '198.51.100.2' : '198.51.100.1',
    }),
  ),
];

let caseDir: string;

beforeAll(async () => {
  caseDir = await caseWithEvents(EVENTS);
  const db = await CaseDb.open(caseDir);
  try {
    await extractCaseEntities(db);
    await runCaseBaselines(db);
  } finally {
    await db.close();
  }
});

afterAll(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

async function vectorsOf(value: string, kind: 'identity' | 'key' = 'identity') {
  return withConnection(caseDir, async (connection) => {
    const scope = await scopeOf(connection, { kind, value });
    return scope.vector;
  });
}

describe('federated login verdict', () => {
  it('fires on a sign-in from a new address', async () => {
    const vectors = await vectorsOf('bob@example.com');

    expect(vectors.map((v) => v.verdict)).toEqual(['federated_login_anomaly']);
    expect(vectors[0]?.summary).toContain(`new source ip ${ATTACKER}`);
    expect(vectors[0]?.evidence).toContain(EVENTS[2]?.uid);
    expect(vectors[0]?.first_suspicious).toMatchObject({
      event_uid: EVENTS[2]?.uid,
      operation: 'user.session.start',
      source: ATTACKER,
    });
  });

  it('fires on a SAML sign-in from a new address', async () => {
    const vectors = await vectorsOf(SAML_KEY, 'key');

    expect(vectors.map((v) => v.verdict)).toEqual(['federated_login_anomaly']);
    expect(vectors[0]?.first_suspicious.event_uid).toBe(EVENTS[8]?.uid);
    expect(vectors[0]?.first_suspicious.operation).toBe('AssumeRoleWithSAML');
  });

  it('stays quiet on usual sign-ins', async () => {
    const vectors = await vectorsOf('carol@example.com');

    expect(vectors.map((v) => v.verdict)).toEqual(['undetermined']);
  });
});

describe('instance credentials verdict', () => {
  it('needs more than a new instance address', async () => {
    const vectors = await vectorsOf(INSTANCE_SESSION);

    expect(vectors.map((v) => v.verdict)).toEqual(['undetermined']);
    expect(vectors[0]?.first_suspicious.source).toBe('198.51.100.2');
  });
});

describe('first suspicious event', () => {
  const KEY = 'AKIATIEDEMO000000001';
  // Two calls of one key at the same instant, the one with the greater uid stored first.
  const tied = [20, 19].map((record) =>
    call(record, { hour: 5, actor: 'arn:aws:iam::111122223333:user/tie', key: KEY, ip: ATTACKER }),
  );
  let tiedCase: string;

  beforeAll(async () => {
    tiedCase = await caseWithEvents(tied);
  });

  afterAll(async () => {
    await rm(tiedCase, { recursive: true, force: true });
  });

  it('breaks a tie in time by uid', async () => {
    const vectors = await withConnection(tiedCase, async (connection) => {
      return (await scopeOf(connection, { kind: 'key', value: KEY })).vector;
    });

    const [first, second] = tied.map((event) => event.uid).sort();
    expect(first).not.toBe(second);
    expect(vectors[0]?.first_suspicious.event_uid).toBe(first);
  });
});
