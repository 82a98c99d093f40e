import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gcpAudit } from './gcp-audit.ts';
import { detectFormat } from './index.ts';
import { ingestLogFile, ingestText, LOGS, pantherLogs } from './test-ingest.ts';

const PLASO = 'plaso-cloud-test-data/test_data/gcp_logging.jsonl';
const ELASTIC =
  'elastic-integrations-pipeline-samples/packages/gcp/data_stream/audit/_dev/test/pipeline/test-iamcredentials-googleapis-com.log';

function lines(relative: string): Record<string, unknown>[] {
  const text = readFileSync(path.join(LOGS, relative), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('Google Cloud Audit Logs', () => {
  it('reads every entry of a real export at the time the entry states', async () => {
    const { events, rejected } = await ingestLogFile(gcpAudit, PLASO);
    const entries = lines(PLASO);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(entries.length);
    // Two entries are application logs rather than audit logs; they keep their text.
    expect(events.filter((event) => event.source === 'gcp.logging')).toHaveLength(2);
    expect(events[7]?.message).toBe('testlog: This is a json payload');
    events.forEach((event, index) => {
      const stated = new Date(String(entries[index]?.timestamp)).toISOString();
      expect(event.time).toBe(stated);
    });
    expect(events[0]).toMatchObject({
      source: 'gcp.audit',
      category: 'network',
      activity: 'Create',
      status: 'success',
      actor: { uid: 'fakeemailxyz@gmail.com', type: 'User' },
      src: { ip: '1.1.1.1' },
      user_agent: 'UserAgent',
      cloud: { provider: 'gcp', account: 'fake-project' },
      api: { service: 'compute.googleapis.com', operation: 'beta.compute.networks.insert' },
      resources: [{ uid: 'projects/fake-project/global/networks/test', type: 'gce_network' }],
    });
  });

  it('reads a workload identity token request as identity activity of a federated principal', async () => {
    const { events, rejected } = await ingestLogFile(gcpAudit, ELASTIC);

    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      category: 'identity',
      actor: { type: 'FederatedIdentity' },
      src: { ip: '175.16.199.45' },
      api: { operation: 'GenerateAccessToken', read_only: true },
      cloud: { account: 'project-id' },
    });
  });

  it('is recognised from its first bytes, apart from CloudTrail and Kubernetes', () => {
    for (const relative of [PLASO, ELASTIC]) {
      const head = readFileSync(path.join(LOGS, relative));
      expect(detectFormat(head, path.basename(relative))?.id).toBe('gcp.audit');
    }
  });

  it('reads a failed call with the name of its status code', async () => {
    const entry = {
      logName: 'projects/p1/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: '2024-05-01T12:00:00.5Z',
      resource: { type: 'gcs_bucket', labels: { project_id: 'p1', location: 'us' } },
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        serviceName: 'storage.googleapis.com',
        methodName: 'storage.setIamPermissions',
        resourceName: 'projects/_/buckets/b1',
        status: { code: 7, message: 'denied' },
        authenticationInfo: {
          principalEmail: 'ci@p1.iam.gserviceaccount.com',
          serviceAccountKeyName: '//iam.googleapis.com/projects/p1/serviceAccounts/ci/keys/abc123',
        },
        requestMetadata: { callerIp: 'private' },
      },
    };
    const { events } = await ingestText(gcpAudit, JSON.stringify([entry]));

    expect(events[0]).toMatchObject({
      category: 'storage',
      status: 'failure',
      status_detail: 'PERMISSION_DENIED',
      activity: 'Update',
      actor: { type: 'ServiceAccount', access_key: 'abc123', name: 'ci' },
      src: { ip: null, domain: 'private' },
      cloud: { account: 'p1', region: 'us' },
      api: { read_only: false },
    });
  });

  it('reads or rejects every Panther entry', async () => {
    const { events, rejected } = await ingestText(gcpAudit, pantherLogs('GCP.AuditLog'));

    expect(events.length + rejected.length).toBe(168);
    expect(events.length).toBeGreaterThan(130);
    for (const entry of rejected) {
      expect(['not_gcp_audit', 'missing_time', 'invalid_time']).toContain(entry.code);
      expect(entry.reason).not.toBe('');
    }
  });

  it('reads a VPC flow log entry as a network flow with bytes and packets', async () => {
    const entry = {
      insertId: 'f1',
      logName: 'projects/shop/logs/compute.googleapis.com%2Fvpc_flows',
      timestamp: '2024-05-01T12:00:05Z',
      resource: {
        type: 'gce_subnetwork',
        labels: { project_id: 'shop', location: 'europe-west1-b' },
      },
      jsonPayload: {
        connection: {
          src_ip: '10.0.0.5',
          src_port: 44022,
          dest_ip: '198.51.100.9',
          dest_port: 443,
          protocol: 6,
        },
        bytes_sent: '5242880',
        packets_sent: '3600',
        reporter: 'SRC',
        src_instance: { vm_name: 'web-1', project_id: 'shop' },
      },
    };
    const text = JSON.stringify(entry);
    expect(detectFormat(Buffer.from(text), 'vpc_flows.json')?.id).toBe('gcp.audit');

    const { events } = await ingestText(gcpAudit, text);
    expect(events[0]).toMatchObject({
      source: 'gcp.vpcflow',
      category: 'network',
      class_name: 'Network Activity',
      src: { ip: '10.0.0.5', port: 44022, bytes: 5242880, packets: 3600 },
      dst: { ip: '198.51.100.9', port: 443 },
      cloud: { provider: 'gcp', account: 'shop' },
      resources: [{ uid: 'web-1', type: 'gce_instance' }],
      message: 'TCP 10.0.0.5:44022 -> 198.51.100.9:443, 5242880 bytes',
    });
  });
});
