import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

const ACCOUNT = '111122223333';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ALICE_KEY = 'AKIAALICE00000000001';
const DEPLOY_KEY = 'ASIADEPLOY0000000001';
const AUDIT_KEY = 'ASIAAUDIT00000000001';
const SAML_KEY = 'ASIASAML000000000001';
const DEPLOY = `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/alice-run`;
const AUDIT = `arn:aws:sts::${ACCOUNT}:assumed-role/audit/chained`;
const SSO = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0a1b/erin.ng@example.com`;
const SAML_USER = 'SAMLPROVIDERID0001:erin.ng@example.com';

function record(minute: number, eventName: string, userIdentity: object, extra: object = {}) {
  return {
    eventVersion: '1.08',
    eventTime: `2024-05-13T10:${String(minute).padStart(2, '0')}:00Z`,
    eventSource: 'sts.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    eventID: `00000000-0000-0000-0000-0000000000${String(minute).padStart(2, '0')}`,
    recipientAccountId: ACCOUNT,
    readOnly: eventName.startsWith('Get') || eventName.startsWith('List'),
    userIdentity,
    ...extra,
  };
}

function session(arn: string, key: string) {
  return { type: 'AssumedRole', arn, accountId: ACCOUNT, accessKeyId: key };
}

function returned(key: string, arn: string) {
  return {
    responseElements: {
      credentials: { accessKeyId: key, expiration: 'May 13, 2024, 11:00:00 AM' },
      assumedRoleUser: { arn },
    },
  };
}

const RECORDS = [
  record(
    1,
    'AssumeRole',
    { type: 'IAMUser', arn: ALICE, userName: 'alice', accountId: ACCOUNT, accessKeyId: ALICE_KEY },
    returned(DEPLOY_KEY, DEPLOY),
  ),
  record(2, 'AssumeRole', session(DEPLOY, DEPLOY_KEY), returned(AUDIT_KEY, AUDIT)),
  record(3, 'GetCallerIdentity', session(AUDIT, AUDIT_KEY)),
  record(
    4,
    'AssumeRoleWithSAML',
    { type: 'SAMLUser', principalId: SAML_USER, userName: 'erin.ng@example.com' },
    returned(SAML_KEY, SSO),
  ),
  record(5, 'GetCallerIdentity', session(SSO, SAML_KEY)),
];

const SIGN_IN = {
  id: 'sign-in-1',
  createdDateTime: '2024-05-13T09:58:00Z',
  userPrincipalName: 'Erin.Ng@Example.com',
  appDisplayName: 'AWS IAM Identity Center',
  ipAddress: '198.51.100.7',
  authenticationRequirement: 'multiFactorAuthentication',
  status: { errorCode: 0 },
};

interface EntityJson {
  type: string;
  value: string;
  kind: string;
  linked: string[];
  events: number;
  origin: {
    operation: string;
    actor: string | null;
    key: string | null;
    root: { actor: string | null; key: string | null; hops: number };
  } | null;
}

describe('cloudcase entities', () => {
  let caseDir: string;

  beforeAll(async () => {
    const work = await tempDir('cloudcase-entities-');
    const logs = path.join(work, 'logs');
    caseDir = path.join(work, 'case');
    await mkdir(logs);
    await writeFile(path.join(logs, 'cloudtrail.json'), JSON.stringify({ Records: RECORDS }));
    await writeFile(path.join(logs, 'entra-signins.json'), JSON.stringify({ value: [SIGN_IN] }));
    const run = await runCli(['investigate', '--case', caseDir, logs]);
    expect(run.code).toBe(0);
  }, 60_000);

  it('lists keys with their origin and chain as JSON', async () => {
    const run = await runCli(['entities', '--case', caseDir, '--type', 'access_key', '--json']);
    const keys = new Map((JSON.parse(run.stdout) as EntityJson[]).map((e) => [e.value, e]));

    expect(run.code).toBe(0);
    expect(keys.get(DEPLOY_KEY)?.origin).toMatchObject({ operation: 'AssumeRole', key: ALICE_KEY });
    expect(keys.get(AUDIT_KEY)?.origin?.key).toBe(DEPLOY_KEY);
    expect(keys.get(AUDIT_KEY)?.origin?.root).toEqual({ actor: ALICE, key: ALICE_KEY, hops: 2 });
    expect(keys.get(SAML_KEY)?.origin).toMatchObject({
      operation: 'AssumeRoleWithSAML',
      actor: SAML_USER,
    });
  });

  it('links the Entra user to its AWS session', async () => {
    const run = await runCli(['entities', '--case', caseDir, '--type', 'identity', '--json']);
    const identities = JSON.parse(run.stdout) as EntityJson[];
    const entra = identities.find((e) => e.value === 'Erin.Ng@Example.com');

    expect(entra?.linked).toContain(SSO);
    expect(entra?.linked).toContain(SAML_USER);
    expect(identities.find((e) => e.value === AUDIT)?.kind).toBe('assumed_role_session');
  });

  it('prints a table with origins and links', async () => {
    const run = await runCli(['entities', '--case', caseDir]);
    const lines = run.stdout.split('\n');

    expect(run.code).toBe(0);
    expect(lines[0]).toMatch(/^type\s+kind\s+value\s+name\s+events/);
    const audit = lines.find((line) => line.includes(AUDIT_KEY) && line.startsWith('access_key'));
    expect(audit).toContain(`AssumeRole by ${DEPLOY_KEY}`);
    expect(audit).toContain(`first ${ALICE_KEY}`);
    const entra = lines.find((line) => line.includes('Erin.Ng@Example.com'));
    // Cells are cut at 80 characters, so the first link is checked.
    expect(entra).toContain(`Erin.Ng@Example.com = ${SAML_USER} = arn:aws:sts::`);
  });

  it('rejects an unknown type', async () => {
    const run = await runCli(['entities', '--case', caseDir, '--type', 'host']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('host');
  });
});
