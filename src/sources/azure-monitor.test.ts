import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { azureMonitor } from './azure-monitor.ts';
import { detectFormat } from './index.ts';
import { ingestLogFile, ingestText, LOGS, pantherLogs } from './test-ingest.ts';

const PLASO_ACTIVITY = 'plaso-cloud-test-data/test_data/azure_activity_log.jsonl';
const OTRF_AUDIT = 'otrf-goldensaml-adfs-mail-access/AADAuditEvents.json';

// The shape `az monitor activity-log list` prints.
const CLI_ACTIVITY = {
  authorization: { action: 'Microsoft.KeyVault/vaults/secrets/read', scope: '/subscriptions/s1/x' },
  caller: 'eve@contoso.com',
  category: { value: 'Administrative', localizedValue: 'Administrative' },
  correlationId: 'c-1',
  eventTimestamp: '2024-03-01T08:00:00.5+01:00',
  httpRequest: { clientIpAddress: '203.0.113.5', method: 'GET' },
  operationName: { value: 'Microsoft.KeyVault/vaults/secrets/read', localizedValue: 'Read secret' },
  resourceId: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v1',
  status: { value: 'Failed', localizedValue: 'Failed' },
  subscriptionId: 's1',
};

// A Microsoft Graph `signIns` entry.
const GRAPH_SIGN_IN = {
  id: 'sign-in-1',
  createdDateTime: '2024-03-01T07:59:00Z',
  userPrincipalName: 'eve@contoso.com',
  appDisplayName: 'Azure Portal',
  ipAddress: '203.0.113.5',
  authenticationRequirement: 'singleFactorAuthentication',
  status: { errorCode: 50126, failureReason: 'Invalid username or password.' },
};

describe('Azure Activity Log and Entra ID logs', () => {
  it('reads every real Activity Log record with its time, caller, address and operation', async () => {
    const { events, rejected } = await ingestLogFile(azureMonitor, PLASO_ACTIVITY);

    expect(rejected).toEqual([]);
    expect(events.map((event) => event.time)).toEqual([
      '2022-02-09T03:04:54.297Z',
      '2022-02-09T03:04:26.492Z',
      '2022-02-09T03:00:39.333Z',
      '2022-02-09T03:00:37.136Z',
    ]);
    expect(events[1]).toMatchObject({
      source: 'azure.activity',
      category: 'compute',
      activity: 'Delete',
      status: 'unknown',
      status_detail: 'Started',
      actor: { uid: 'fakeemail@fakedomain.com', type: 'User' },
      src: { ip: '1.2.3.4' },
      cloud: { provider: 'azure', account: '12345678-9abc-defg-hijk-lmnopqrstuvw' },
      api: { operation: 'Microsoft.Compute/virtualMachines/delete' },
    });
    expect(events[0]?.actor.type).toBe('Application');
  });

  it('reads the Entra audit export of the Golden SAML dataset as identity changes', async () => {
    const { events, rejected } = await ingestLogFile(azureMonitor, OTRF_AUDIT);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(4);
    for (const event of events) {
      expect(event).toMatchObject({ source: 'azure.audit', category: 'identity' });
      expect(event.actor.uid).toBe('pgustavo@simulandlabs.com');
    }
    expect(events[3]).toMatchObject({
      time: '2021-08-02T13:27:20.017Z',
      activity: 'Create',
      status: 'success',
      api: { service: 'Core Directory', operation: 'Add delegated permission grant' },
    });
    expect(events[0]?.resources[0]).toEqual({
      uid: '11b49e19-2326-4be6-93cb-7f37439bbd81',
      type: 'Application',
    });
  });

  it('is recognised from its first bytes', () => {
    for (const relative of [PLASO_ACTIVITY, OTRF_AUDIT]) {
      const head = readFileSync(path.join(LOGS, relative));
      expect(detectFormat(head, 'export.json')?.id).toBe('azure.monitor');
    }
    const cli = Buffer.from(JSON.stringify([CLI_ACTIVITY]));
    expect(detectFormat(cli, 'activity.json')?.id).toBe('azure.monitor');
  });

  it('reads the CLI shape with its zone and a failed secret read', async () => {
    const { events } = await ingestText(azureMonitor, JSON.stringify([CLI_ACTIVITY]));

    expect(events[0]).toMatchObject({
      time: '2024-03-01T07:00:00.500Z',
      category: 'secrets',
      activity: 'Read',
      status: 'failure',
      src: { ip: '203.0.113.5' },
      cloud: { account: 's1' },
      api: { operation: 'Microsoft.KeyVault/vaults/secrets/read', read_only: true },
    });
  });

  it('reads sign-ins from Graph and from a diagnostic export, failed ones with their code', async () => {
    const exported = {
      records: [
        {
          time: '2024-03-01T07:58:00Z',
          category: 'SignInLogs',
          resultType: '0',
          callerIpAddress: '198.51.100.1',
          properties: {
            userPrincipalName: 'bob@contoso.com',
            authenticationRequirement: 'multiFactorAuthentication',
          },
        },
      ],
    };
    const graph = await ingestText(azureMonitor, JSON.stringify({ value: [GRAPH_SIGN_IN] }));
    const diagnostic = await ingestText(azureMonitor, JSON.stringify(exported));

    expect(graph.events[0]).toMatchObject({
      source: 'azure.signin',
      class_name: 'Authentication',
      status: 'failure',
      status_detail: '50126',
      actor: { uid: 'eve@contoso.com', mfa: false },
      message:
        'eve@contoso.com signed in to Azure Portal from 203.0.113.5 (Invalid username or password.)',
    });
    expect(diagnostic.events[0]).toMatchObject({
      source: 'azure.signin',
      status: 'success',
      actor: { uid: 'bob@contoso.com', mfa: true },
      src: { ip: '198.51.100.1' },
    });
  });

  it('reads every Panther Azure test record as activity, sign-in or audit', async () => {
    const activity = await ingestText(azureMonitor, pantherLogs('Azure.MonitorActivity'));
    const entra = await ingestText(azureMonitor, pantherLogs('Azure.Audit'));

    expect(activity.rejected).toEqual([]);
    expect(activity.events).toHaveLength(214);
    expect(new Set(activity.events.map((event) => event.source))).toEqual(
      new Set(['azure.activity']),
    );
    expect(entra.rejected).toEqual([]);
    expect(new Set(entra.events.map((event) => event.source))).toEqual(
      new Set(['azure.signin', 'azure.audit']),
    );
  });

  it('rejects records that are none of these, with a reason', async () => {
    const { events, rejected } = await ingestText(
      azureMonitor,
      [
        JSON.stringify({ hello: 'world' }),
        JSON.stringify({ ...CLI_ACTIVITY, eventTimestamp: 'soon' }),
      ].join('\n'),
    );
    expect(events).toEqual([]);
    expect(rejected.map((entry) => entry.code)).toEqual(['not_azure_monitor', 'invalid_time']);
  });

  it('reads a Key Vault secret read from its diagnostic export as secret access', async () => {
    const record = {
      time: '2024-03-01T09:00:00.000Z',
      category: 'AuditEvent',
      operationName: 'SecretGet',
      resourceId:
        '/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/PAYMENTS',
      resultType: 'Success',
      callerIpAddress: '203.0.113.5',
      identity: { claim: { upn: 'eve@contoso.com', appid: 'app-1' } },
    };
    const { events } = await ingestText(azureMonitor, JSON.stringify({ records: [record] }));

    expect(events[0]).toMatchObject({
      source: 'azure.activity',
      category: 'secrets',
      status: 'success',
      actor: { uid: 'eve@contoso.com' },
      src: { ip: '203.0.113.5' },
      api: { operation: 'SecretGet' },
      cloud: { account: 'S1' },
    });
  });

  it('reads Application Gateway access logs with their client', async () => {
    const file = 'plaso-cloud-test-data/test_data/azure_application_gateway_access.json';
    const { events, rejected } = await ingestLogFile(azureMonitor, file);

    expect(rejected).toEqual([]);
    expect(events.map((event) => event.time)).toEqual([
      '2021-10-14T22:17:11.000Z',
      '2021-10-14T22:17:12.000Z',
    ]);
    expect(events[0]).toMatchObject({
      category: 'network',
      src: { ip: '185.42.129.24' },
      api: { operation: 'ApplicationGatewayAccess' },
    });
    expect(events[0]?.user_agent).toContain('Mozilla/5.0');
  });
});
