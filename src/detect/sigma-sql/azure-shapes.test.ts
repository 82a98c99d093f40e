/**
 * SigmaHQ's Azure and Microsoft 365 rules on every export shape cloudcase reads, in both
 * backends: each record is normalized by its real parser, matched by the in-memory rule set and
 * by the SQL scan over a DuckDB `events` table.
 */
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SHARED_DATA } from '../../../test/support/cli.ts';
import type { Event } from '../../core/event.ts';
import { normalizeAzureMonitor } from '../../sources/azure-monitor.ts';
import { normalizeM365Audit } from '../../sources/m365-audit.ts';
import { isNormalizeError } from '../../sources/types.ts';
import { loadRules } from '../sigma/load.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { RuleSet } from '../sigma/rule-set.ts';
import { duckdb } from './duckdb.ts';
import { SqlScan } from './scan.ts';

const RULES = path.join(SHARED_DATA, 'sigma/rules-cloud/rules/cloud');

interface ShapeCase {
  shape: string;
  record: Record<string, unknown>;
}

const LOCKOUT: ShapeCase[] = [
  {
    shape: 'SigninLogs table',
    record: {
      TimeGenerated: '2024-05-01T10:00:00Z',
      Category: 'SignInLogs',
      ResultType: '50053',
      UserPrincipalName: 'ana@example.com',
    },
  },
  {
    shape: 'Graph signIn',
    record: {
      createdDateTime: '2024-05-01T10:00:00Z',
      userPrincipalName: 'ana@example.com',
      appDisplayName: 'Azure Portal',
      status: { errorCode: 50053, failureReason: 'Account is locked' },
    },
  },
  {
    shape: 'diagnostic export',
    record: {
      time: '2024-05-01T10:00:00Z',
      category: 'SignInLogs',
      operationName: 'Sign-in activity',
      properties: {
        userPrincipalName: 'ana@example.com',
        status: { errorCode: 50053 },
      },
    },
  },
];

const SINGLE_FACTOR: ShapeCase[] = [
  {
    shape: 'diagnostic export',
    record: {
      time: '2024-05-01T10:00:00Z',
      category: 'SignInLogs',
      operationName: 'Sign-in activity',
      resultType: '0',
      resultSignature: 'SUCCESS',
      properties: {
        userPrincipalName: 'ana@example.com',
        authenticationRequirement: 'singleFactorAuthentication',
      },
    },
  },
];

const KEY_VAULT: ShapeCase[] = [
  {
    shape: 'diagnostic export',
    record: {
      time: '2024-05-01T10:00:00Z',
      resourceId: '/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/V1',
      operationName: 'MICROSOFT.KEYVAULT/VAULTS/WRITE',
      category: 'Administrative',
      resultType: 'Success',
    },
  },
  {
    shape: 'az monitor activity-log list',
    record: {
      eventTimestamp: '2024-05-01T10:00:00Z',
      operationName: { value: 'Microsoft.KeyVault/vaults/write', localizedValue: 'Update vault' },
      status: { value: 'Succeeded', localizedValue: 'Succeeded' },
      category: { value: 'Administrative' },
      resourceId: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v1',
    },
  },
  {
    shape: 'SDK snake_case',
    record: {
      event_timestamp: '2024-05-01T10:00:00Z',
      operation_name: { value: 'Microsoft.KeyVault/vaults/delete' },
      resource_id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v1',
    },
  },
  {
    shape: 'AzureActivity table',
    record: {
      TimeGenerated: '2024-05-01T10:00:00Z',
      OperationNameValue: 'MICROSOFT.KEYVAULT/VAULTS/WRITE',
      OperationName: 'Update Key Vault',
      CategoryValue: 'Administrative',
      ActivityStatusValue: 'Success',
      ResourceProviderValue: 'MICROSOFT.KEYVAULT',
    },
  },
];

const GUEST_INVITE: ShapeCase[] = [
  {
    shape: 'Graph directoryAudit',
    record: {
      activityDateTime: '2024-05-01T10:00:00Z',
      activityDisplayName: 'Invite external user',
      category: 'UserManagement',
      result: 'failure',
      loggedByService: 'Invited Users',
      initiatedBy: { user: { userPrincipalName: 'ana@example.com' } },
    },
  },
  {
    shape: 'AuditLogs table',
    record: {
      TimeGenerated: '2024-05-01T10:00:00Z',
      Category: 'AuditLogs',
      OperationName: 'Invite external user',
      Result: 'failure',
      LoggedByService: 'Invited Users',
      InitiatedBy: { user: { userPrincipalName: 'ana@example.com' } },
    },
  },
  {
    shape: 'diagnostic export',
    record: {
      time: '2024-05-01T10:00:00Z',
      category: 'AuditLogs',
      operationName: 'Invite external user',
      properties: {
        activityDisplayName: 'Invite external user',
        result: 'failure',
        loggedByService: 'Invited Users',
        initiatedBy: { user: { userPrincipalName: 'ana@example.com' } },
      },
    },
  },
];

const FEDERATED_DOMAIN: ShapeCase[] = [
  {
    shape: 'unified audit log',
    record: {
      CreationTime: '2024-05-01T10:00:00',
      Workload: 'Exchange',
      Operation: 'Add-FederatedDomain',
      ResultStatus: 'Success',
      UserId: 'ana@example.com',
    },
  },
  {
    shape: 'OfficeActivity table',
    record: {
      TimeGenerated: '2024-05-01T10:00:00Z',
      OfficeWorkload: 'Exchange',
      Operation: 'Add-FederatedDomain',
      ResultStatus: 'Success',
      UserId: 'ana@example.com',
    },
  },
];

// Records of the same shapes that the rules must not match.
const MISSES: { rule: string; record: Record<string, unknown> }[] = [
  {
    rule: 'Account Lockout',
    record: {
      createdDateTime: '2024-05-01T10:00:00Z',
      userPrincipalName: 'ana@example.com',
      appDisplayName: 'Azure Portal',
      status: { errorCode: 0 },
    },
  },
  {
    rule: 'Azure Key Vault Modified or Deleted',
    record: {
      eventTimestamp: '2024-05-01T10:00:00Z',
      operationName: { value: 'Microsoft.KeyVault/vaults/read' },
    },
  },
];

let rules: DetectionRule[];
let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  const loaded = await loadRules([RULES]);
  rules = loaded.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(
    `CREATE TABLE events (uid VARCHAR, time TIMESTAMP, source VARCHAR, raw VARCHAR,
      evidence_sha256 VARCHAR, evidence_member VARCHAR, evidence_record BIGINT)`,
  );
  for (const statement of duckdb.prelude()) await connection.run(statement);
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

function rule(title: string): DetectionRule {
  const found = rules.find((candidate) => candidate.title === title);
  if (found === undefined) throw new Error(`no SigmaHQ rule titled ${title}`);
  return found;
}

function eventOf(record: Record<string, unknown>): Event {
  const ref = { sha256: 'a'.repeat(64), member: null, record: 0, offset: 0 };
  const isM365 = 'Workload' in record || 'OfficeWorkload' in record;
  const event = isM365 ? normalizeM365Audit(record, ref) : normalizeAzureMonitor(record, ref);
  if (isNormalizeError(event)) throw new Error(`${event.code}: ${event.reason}`);
  return event;
}

function matchesInMemory(target: DetectionRule, event: Event): boolean {
  return new RuleSet([target]).match(event).length === 1;
}

async function matchesInSql(target: DetectionRule, event: Event): Promise<boolean> {
  await connection.run('DELETE FROM events');
  await connection.run(
    `INSERT INTO events VALUES ('e0', TIMESTAMP '2024-05-01 10:00:00', $source, $raw, 'h', NULL, 0)`,
    { source: event.source, raw: JSON.stringify(event.raw) },
  );
  const scan = new SqlScan([target]);
  expect(scan.problems).toEqual([]);
  return (await scan.run(connection)).length === 1;
}

describe.each([
  { title: 'Account Lockout', source: 'azure.signin', cases: LOCKOUT },
  {
    title: 'Azure AD Only Single Factor Authentication Required',
    source: 'azure.signin',
    cases: SINGLE_FACTOR,
  },
  { title: 'Azure Key Vault Modified or Deleted', source: 'azure.activity', cases: KEY_VAULT },
  {
    title: 'Guest User Invited By Non Approved Inviters',
    source: 'azure.audit',
    cases: GUEST_INVITE,
  },
  { title: 'New Federated Domain Added - Exchange', source: 'm365.audit', cases: FEDERATED_DOMAIN },
])('$title', ({ title, source, cases }) => {
  test.each(cases)('fires on $shape', async ({ record }) => {
    const event = eventOf(record);
    expect(event.source).toBe(source);
    expect(matchesInMemory(rule(title), event)).toBe(true);
    expect(await matchesInSql(rule(title), event)).toBe(true);
  });
});

describe('Azure rules stay specific', () => {
  test.each(MISSES)('$rule misses other values', async ({ rule: title, record }) => {
    const event = eventOf(record);
    expect(matchesInMemory(rule(title), event)).toBe(false);
    expect(await matchesInSql(rule(title), event)).toBe(false);
  });
});
