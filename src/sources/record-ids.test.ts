import { describe, expect, it } from 'vitest';
import { azureMonitor } from './azure-monitor.ts';
import { gcpAudit } from './gcp-audit.ts';
import { k8sAudit } from './k8s-audit.ts';
import { m365Audit } from './m365-audit.ts';
import { ingestLogFile, ingestText } from './test-ingest.ts';

// `metadata_uid` is the provider's own id of a record. The store sets aside a second copy of
// a record with the same source, id, time and operation.
describe('provider record ids', () => {
  it('take eventDataId from Activity Log API records', async () => {
    const { events } = await ingestLogFile(
      azureMonitor,
      'plaso-cloud-test-data/test_data/azure_activity_log.jsonl',
    );
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event.metadata_uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('join correlation, operation and status ids of diagnostic exports', async () => {
    const record = {
      time: '2024-03-01T08:00:00Z',
      resourceId: '/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/V1',
      operationName: 'MICROSOFT.KEYVAULT/VAULTS/WRITE',
      category: 'Administrative',
      resultType: 'Start',
      correlationId: 'c-1',
      operationId: 'o-1',
      callerIpAddress: '203.0.113.5',
    };
    const finished = { ...record, resultType: 'Success' };
    const { events } = await ingestText(
      azureMonitor,
      JSON.stringify({ records: [record, finished] }),
    );

    expect(events.map((event) => event.metadata_uid)).toEqual(['c-1/o-1/Start', 'c-1/o-1/Success']);
  });

  it('take Id from Entra audit and sign-in records', async () => {
    const audit = await ingestLogFile(
      azureMonitor,
      'otrf-goldensaml-adfs-mail-access/AADAuditEvents.json',
    );
    expect(audit.events.map((event) => event.metadata_uid)).toEqual([
      'Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832',
      'Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832',
      'Directory_ae69aa7a-e9b7-4066-84f2-58582994d8cb_7H1JL_8584070',
      'Directory_630d7f0c-acc4-4596-85ab-7e5d839b4291_9VRQI_37762000',
    ]);

    const signIn = {
      id: 'sign-in-1',
      createdDateTime: '2024-03-01T07:59:00Z',
      userPrincipalName: 'eve@contoso.com',
      appDisplayName: 'Azure Portal',
      correlationId: 'shared-by-several-sign-ins',
      status: { errorCode: 0 },
    };
    const signIns = await ingestText(azureMonitor, JSON.stringify({ value: [signIn] }));
    expect(signIns.events[0]?.metadata_uid).toBe('sign-in-1');
  });

  it('take Id or OfficeId from Microsoft 365 records', async () => {
    const office = await ingestLogFile(
      m365Audit,
      'otrf-goldensaml-adfs-mail-access/OfficeActivityEvents.json',
    );
    expect(office.events[0]?.metadata_uid).toBe('699e0b10-1c53-403e-976f-ce0847a92b44');

    const native = await ingestLogFile(
      m365Audit,
      'plaso-cloud-test-data/test_data/microsoft_audit_log.jsonl',
    );
    expect(native.events[0]?.metadata_uid).toBe('c9d2d808-0efe-48cb-eaec-08da3028eb80');
  });

  it('take insertId from GCP entries and auditID with stage from Kubernetes', async () => {
    const entry = {
      insertId: 'abc123',
      timestamp: '2024-03-01T08:00:00Z',
      logName: 'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
      protoPayload: { serviceName: 'iam.googleapis.com', methodName: 'SetIamPolicy' },
    };
    const flow = {
      insertId: 'flow-1',
      timestamp: '2024-03-01T08:00:01Z',
      logName: 'projects/p/logs/compute.googleapis.com%2Fvpc_flows',
      jsonPayload: { connection: { src_ip: '10.0.0.2', dest_ip: '10.0.0.3' }, bytes_sent: '10' },
    };
    const gcp = await ingestText(gcpAudit, [entry, flow].map((e) => JSON.stringify(e)).join('\n'));
    expect(gcp.events.map((event) => [event.source, event.metadata_uid])).toEqual([
      ['gcp.audit', 'abc123'],
      ['gcp.vpcflow', 'flow-1'],
    ]);

    const stage = (name: string) => ({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID: 'a-1',
      stage: name,
      verb: 'get',
      requestURI: '/api/v1/namespaces/default/pods',
      requestReceivedTimestamp: '2024-03-01T08:00:00Z',
    });
    const lines = [stage('RequestReceived'), stage('ResponseComplete')].map((event) =>
      JSON.stringify(event),
    );
    const k8s = await ingestText(k8sAudit, lines.join('\n'));
    expect(k8s.events.map((event) => event.metadata_uid)).toEqual([
      'a-1/RequestReceived',
      'a-1/ResponseComplete',
    ]);
  });
});
