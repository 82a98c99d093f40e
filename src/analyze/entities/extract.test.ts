import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../../store/index.ts';
import { caseWithEvents } from '../test-case.ts';
import { extractCaseEntities } from './index.ts';
import { type EntityRow, listEntities } from './list.ts';
import { call, session, user } from './test-calls.ts';

const ROLE_KEY = 'ASIAROLE000000000001';
const CONSOLE_KEY = 'ASIACONSOLE000000001';

const EVENTS = [
  call(0, { hour: 1, actor: user('alice') }),
  call(1, {
    hour: 2,
    actor: user('alice'),
    operation: 'AssumeRole',
    raw: {
      responseElements: {
        credentials: { accessKeyId: ROLE_KEY },
        assumedRoleUser: { arn: session('deploy', 'alice-run') },
      },
    },
  }),
  call(2, { hour: 3, actor: session('deploy', 'alice-run'), key: ROLE_KEY, ip: '10.0.0.5' }),
  call(3, { hour: 4, actor: user('carol'), key: null, operation: 'ConsoleLogin' }),
  call(4, {
    hour: 4.01,
    actor: user('carol'),
    key: CONSOLE_KEY,
    raw: {
      userIdentity: {
        sessionContext: { attributes: { creationDate: '2024-05-13T04:00:10Z' } },
      },
    },
  }),
  call(5, { hour: 5, actor: 'bob@example.com', key: null, source: 'okta.system', type: 'User' }),
  call(6, { hour: 6, actor: session('AWSReservedSSO_Admin_0123', 'bob@example.com'), key: null }),
  call(7, {
    hour: 7,
    actor: 'system:serviceaccount:kube-system:deployer',
    key: null,
    source: 'k8s.audit',
    type: 'ServiceAccount',
  }),
];

let caseDir: string;
let found: EntityRow[];

beforeAll(async () => {
  caseDir = await caseWithEvents(EVENTS);
  const db = await CaseDb.open(caseDir);
  try {
    await extractCaseEntities(db);
    const connection = await db.connect();
    found = await listEntities(connection).finally(() => connection.closeSync());
  } finally {
    await db.close();
  }
});

afterAll(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

const entity = (type: string, value: string) =>
  found.find((row) => row.type === type && row.value === value);

describe('entity extraction', () => {
  it('counts an identity with its first and last use', () => {
    const alice = entity('identity', user('alice'));

    expect(alice).toMatchObject({ kind: 'user', events: 2, sources: ['aws.cloudtrail'] });
    expect(alice?.first_seen).toBe('2024-05-13T01:00:00.000Z');
    expect(alice?.last_seen).toBe('2024-05-13T02:00:00.000Z');
  });

  it('adds the role behind assumed-role sessions', () => {
    expect(entity('identity', 'arn:aws:iam::111122223333:role/deploy')?.kind).toBe('role');
    expect(entity('identity', session('deploy', 'alice-run'))?.kind).toBe('assumed_role_session');
  });

  it('traces a temporary key to the AssumeRole call that returned it', () => {
    expect(entity('access_key', ROLE_KEY)?.origin).toMatchObject({
      operation: 'AssumeRole',
      actor: user('alice'),
    });
  });

  it('traces a console session key to the sign-in that began it', () => {
    expect(entity('access_key', CONSOLE_KEY)?.origin?.operation).toBe('ConsoleLogin');
  });

  it('links an Okta user to the Identity Center session of the same email', () => {
    expect(entity('identity', 'bob@example.com')?.linked).toEqual([
      session('AWSReservedSSO_Admin_0123', 'bob@example.com'),
    ]);
  });

  it('tells service accounts from users', () => {
    const account = entity('identity', 'system:serviceaccount:kube-system:deployer');

    expect(account?.kind).toBe('service_account');
    expect(account?.sources).toEqual(['k8s.audit']);
  });

  it('lists source and destination addresses and user agents', () => {
    expect(entity('ip', '10.0.0.5')?.kind).toBe('private');
    expect(entity('ip', '192.0.2.10')?.events).toBe(7);
    expect(entity('user_agent', 'aws-cli/2.15.0')?.events).toBe(8);
  });
});
