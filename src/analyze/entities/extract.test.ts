import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../../store/index.ts';
import { caseWithEvents } from '../test-case.ts';
import { extractCaseEntities } from './index.ts';
import { type EntityRow, listEntities } from './list.ts';
import { call, session, user } from './test-calls.ts';

const ROLE_KEY = 'ASIAROLE000000000001';
const CONSOLE_KEY = 'ASIACONSOLE000000001';
const SAML_KEY = 'ASIASAML000000000001';
const WEB_KEY = 'ASIAWEBIDENTITY00001';
const SESSION_TOKEN_KEY = 'ASIASESSIONTOKEN0001';
const FEDERATION_KEY = 'ASIAFEDERATION000001';
const CHAINED_KEY = 'ASIACHAINED000000001';
const SAML_USER = 'SAMLPROVIDERID0001:alice@example.com';
const WEB_USER = 'accounts.google.com:109876543210';
const FEDERATED = 'arn:aws:sts::111122223333:federated-user/contractor';

/** Builds an STS call whose response returns `returned`, as CloudTrail records it. */
function stsCall(
  record: number,
  hour: number,
  operation: string,
  actor: string,
  key: string | null,
  returned: string,
  response: Record<string, unknown> = {},
) {
  const type = actor.startsWith('SAML')
    ? 'SAMLUser'
    : actor.startsWith('accounts.')
      ? 'WebIdentityUser'
      : undefined;
  return call(record, {
    hour,
    actor,
    key,
    operation,
    ...(type === undefined ? {} : { type }),
    raw: {
      eventName: operation,
      responseElements: { credentials: { accessKeyId: returned }, ...response },
    },
  });
}

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
  {
    ...stsCall(8, 8, 'AssumeRoleWithSAML', SAML_USER, null, SAML_KEY),
    actor: {
      ...stsCall(8, 8, 'AssumeRoleWithSAML', SAML_USER, null, SAML_KEY).actor,
      name: 'alice@example.com',
    },
  },
  call(9, { hour: 8.1, actor: session('SAML-Admin', 'alice@example.com'), key: SAML_KEY }),
  stsCall(10, 9, 'AssumeRoleWithWebIdentity', WEB_USER, null, WEB_KEY),
  call(11, { hour: 9.1, actor: session('web-app', 'app-session'), key: WEB_KEY }),
  stsCall(12, 10, 'GetSessionToken', user('dave'), 'AKIADAVE000000000001', SESSION_TOKEN_KEY),
  call(13, { hour: 10.1, actor: user('dave'), key: SESSION_TOKEN_KEY }),
  stsCall(14, 11, 'GetFederationToken', user('dave'), 'AKIADAVE000000000001', FEDERATION_KEY, {
    federatedUser: { arn: FEDERATED, federatedUserId: '111122223333:contractor' },
  }),
  call(15, { hour: 11.1, actor: FEDERATED, key: FEDERATION_KEY, type: 'FederatedUser' }),
  // The session of ROLE_KEY assumes a second role: a role chain back to alice.
  stsCall(16, 12, 'AssumeRole', session('deploy', 'alice-run'), ROLE_KEY, CHAINED_KEY),
  call(17, { hour: 12.1, actor: session('audit', 'chained'), key: CHAINED_KEY }),
  call(18, {
    hour: 13,
    actor: 'Erin.Ng@Example.com',
    key: null,
    source: 'azure.signin',
    type: 'User',
    operation: 'Sign-in',
  }),
  call(19, {
    hour: 13.1,
    actor: session('AWSReservedSSO_ReadOnly_77', 'erin.ng@example.com'),
    key: null,
  }),
  // An Entra guest's UPN encodes the home address: frank@partner.example.
  call(20, {
    hour: 14,
    actor: 'frank_partner.example#EXT#@contoso.onmicrosoft.com',
    key: null,
    source: 'azure.signin',
    type: 'User',
    operation: 'Sign-in',
  }),
  call(21, {
    hour: 14.1,
    actor: session('AWSReservedSSO_ReadOnly_77', 'frank@partner.example'),
    key: null,
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

  it('traces a SAML session key to AssumeRoleWithSAML', () => {
    expect(entity('access_key', SAML_KEY)?.origin).toMatchObject({
      operation: 'AssumeRoleWithSAML',
      actor: SAML_USER,
    });
  });

  it('links a SAML user to its role session', () => {
    expect(entity('identity', SAML_USER)?.linked).toEqual([
      session('SAML-Admin', 'alice@example.com'),
    ]);
  });

  it('traces a web identity key to AssumeRoleWithWebIdentity', () => {
    expect(entity('access_key', WEB_KEY)?.origin).toMatchObject({
      operation: 'AssumeRoleWithWebIdentity',
      actor: WEB_USER,
    });
  });

  it('traces GetSessionToken keys to the long-term key', () => {
    const origin = entity('access_key', SESSION_TOKEN_KEY)?.origin;

    expect(origin?.operation).toBe('GetSessionToken');
    expect(origin?.key).toBe('AKIADAVE000000000001');
    expect(origin?.root).toEqual({ actor: user('dave'), key: 'AKIADAVE000000000001', hops: 1 });
  });

  it('traces GetFederationToken to a federated user', () => {
    expect(entity('access_key', FEDERATION_KEY)?.origin?.operation).toBe('GetFederationToken');
    expect(entity('identity', FEDERATED)?.kind).toBe('federated_user');
  });

  it('walks a role chain back to its first credential', () => {
    const origin = entity('access_key', CHAINED_KEY)?.origin;

    expect(origin?.operation).toBe('AssumeRole');
    expect(origin?.key).toBe(ROLE_KEY);
    expect(origin?.actor).toBe(session('deploy', 'alice-run'));
    expect(origin?.root).toEqual({ actor: user('alice'), key: 'AKIAALICE0000000KEY1', hops: 2 });
  });

  it('links an Entra user to its Identity Center session', () => {
    expect(entity('identity', 'Erin.Ng@Example.com')?.linked).toEqual([
      session('AWSReservedSSO_ReadOnly_77', 'erin.ng@example.com'),
    ]);
  });

  it('links an Entra guest by its home address', () => {
    expect(
      entity('identity', 'frank_partner.example#EXT#@contoso.onmicrosoft.com')?.linked,
    ).toEqual([session('AWSReservedSSO_ReadOnly_77', 'frank@partner.example')]);
  });

  it('tells service accounts from users', () => {
    const account = entity('identity', 'system:serviceaccount:kube-system:deployer');

    expect(account?.kind).toBe('service_account');
    expect(account?.sources).toEqual(['k8s.audit']);
  });

  it('lists source and destination addresses and user agents', () => {
    expect(entity('ip', '10.0.0.5')?.kind).toBe('private');
    expect(entity('ip', '192.0.2.10')?.events).toBe(EVENTS.length - 1);
    expect(entity('user_agent', 'aws-cli/2.15.0')?.events).toBe(EVENTS.length);
  });
});

describe('entity extraction of records stored in parts', () => {
  it('traces a key to a creating call with a long record', async () => {
    // A record over 16,384 code units is stored in parts, with `raw` NULL in its row.
    const created = 'AKIANEWKEY0000000001';
    const events = [
      call(0, {
        hour: 1,
        actor: user('alice'),
        operation: 'CreateAccessKey',
        raw: {
          eventName: 'CreateAccessKey',
          userAgent: 'u'.repeat(20_000),
          responseElements: { accessKey: { accessKeyId: created, userName: 'bob' } },
        },
      }),
      call(1, { hour: 2, actor: user('bob'), key: created }),
    ];
    const dir = await caseWithEvents(events);
    const db = await CaseDb.open(dir);
    try {
      await extractCaseEntities(db);
      const connection = await db.connect();
      const rows = await listEntities(connection).finally(() => connection.closeSync());
      const key = rows.find((row) => row.type === 'access_key' && row.value === created);

      expect(key?.origin).toMatchObject({ operation: 'CreateAccessKey', actor: user('alice') });
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
