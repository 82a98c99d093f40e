import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { k8sAudit } from './k8s-audit.ts';
import { ingestLogFile, ingestText, LOGS, pantherLogs } from './test-ingest.ts';

const ELASTIC_AUDIT =
  'elastic-integrations-pipeline-samples/packages/kubernetes/data_stream/audit_logs/_dev/test/pipeline/test-audit.log';

const EXEC = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Request',
  auditID: 'f00d',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/prod/pods/web-1/exec?command=sh',
  verb: 'create',
  user: { username: 'alice@example.com', groups: ['system:authenticated'] },
  sourceIPs: ['203.0.113.9'],
  userAgent: 'kubectl/v1.29.0',
  objectRef: { resource: 'pods', namespace: 'prod', name: 'web-1', subresource: 'exec' },
  responseStatus: { code: 403, reason: 'Forbidden' },
  requestReceivedTimestamp: '2025-02-01T10:00:00.123456Z',
  stageTimestamp: '2025-02-01T10:00:00.200000Z',
};

describe('Kubernetes audit events', () => {
  it('reads every event of a real audit log, bare or from GKE and AKS, with time, user and object', async () => {
    const { events, rejected } = await ingestLogFile(k8sAudit, ELASTIC_AUDIT);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(5);
    const [first] = events;
    expect(first).toMatchObject({
      time: '2025-03-04T06:22:18.819Z',
      source: 'k8s.audit',
      category: 'kubernetes',
      activity: 'Read',
      status: 'success',
      actor: { uid: 'system:serviceaccounts:default:default', type: 'System' },
      src: { ip: '67.43.156.1' },
      user_agent: 'kubectl/v1.26.1',
      api: { service: 'core', operation: 'get pods', request_id: 'abcde12345', read_only: true },
      resources: [{ uid: 'default/pods/my-pod', type: 'pods' }],
    });
    expect(events[1]?.actor.type).toBe('ServiceAccount');
    // The file mixes in a GKE entry, which is a Cloud Audit Logs entry, and an AKS export.
    expect(events.map((event) => event.source)).toEqual(Array(5).fill('k8s.audit'));
    expect(events[3]?.api.operation).toBe('get /readyz');
    expect(events[3]?.cloud).toEqual({
      provider: 'gcp',
      account: 'elastic-siem',
      region: 'us-central1',
    });
    expect(events[3]?.raw).toMatchObject({
      verb: 'get',
      protoPayload: { methodName: 'io.k8s.get' },
    });
    expect(events[4]?.actor.uid).toBe('aksService');
  });

  it('is recognised among the other formats from its first bytes', () => {
    const head = readFileSync(path.join(LOGS, ELASTIC_AUDIT));
    expect(detectFormat(head, 'audit.log')?.id).toBe('k8s.audit');
  });

  it('reads EKS audit events with the IAM identity behind the Kubernetes user', async () => {
    const { events, rejected } = await ingestText(k8sAudit, pantherLogs('Amazon.EKS.Audit'));

    // Four of the twenty test events were cut down to a few fields and carry no time at all.
    expect(events).toHaveLength(16);
    expect(rejected.map((entry) => entry.code)).toEqual(Array(4).fill('missing_time'));
    const withKey = events.find((event) => event.actor.access_key !== null);
    expect(withKey?.actor).toMatchObject({
      access_key: 'ASIARLIVEKVNN6Y6J5UW',
      account: '123412341234',
    });
    expect(withKey?.actor.session).toMatch(/^arn:aws:sts::123412341234:assumed-role\//);
    // Panther writes times with a space and no zone; they are UTC.
    expect(events[0]?.time).toBe('2022-11-29T00:09:04.380Z');
  });

  it('reads a denied exec into a pod as a failed create of pods/exec', async () => {
    const { events } = await ingestText(k8sAudit, JSON.stringify(EXEC));

    expect(events[0]).toMatchObject({
      time: '2025-02-01T10:00:00.123Z',
      activity: 'Create',
      status: 'failure',
      status_detail: '403 Forbidden',
      actor: { uid: 'alice@example.com', type: 'User' },
      api: { operation: 'create pods/exec', read_only: false },
      message: 'alice@example.com create pods/exec web-1 in prod from 203.0.113.9 (403 Forbidden)',
    });
    expect(events[0]?.raw).toEqual(EXEC);
  });

  it('puts reads of Secret objects in the secrets category', async () => {
    const read = {
      ...EXEC,
      requestURI: '/api/v1/namespaces/prod/secrets/db-password',
      verb: 'get',
      objectRef: { resource: 'secrets', namespace: 'prod', name: 'db-password' },
      responseStatus: { code: 200 },
    };
    const { events } = await ingestText(
      k8sAudit,
      `${JSON.stringify(read)}\n${JSON.stringify(EXEC)}`,
    );

    expect(events.map((event) => event.category)).toEqual(['secrets', 'kubernetes']);
  });

  it('unwraps events carried as text by CloudWatch Logs and by AKS diagnostic exports', async () => {
    const cloudWatch = JSON.stringify({
      events: [{ timestamp: 1738404000123, message: JSON.stringify(EXEC), logStreamName: 'a' }],
    });
    const aks = JSON.stringify({
      records: [
        {
          category: 'kube-audit',
          time: '2025-02-01T10:00:01Z',
          properties: { log: JSON.stringify(EXEC) },
        },
      ],
    });
    const insights = JSON.stringify({
      '@timestamp': '2025-02-01',
      '@message': JSON.stringify(EXEC),
    });

    for (const text of [cloudWatch, aks, insights]) {
      expect(detectFormat(Buffer.from(text), 'export.json')?.id).toBe('k8s.audit');
      const { events, rejected } = await ingestText(k8sAudit, text);
      expect(rejected).toEqual([]);
      expect(events[0]?.raw).toEqual(EXEC);
      expect(events[0]?.api.operation).toBe('create pods/exec');
    }
  });

  it('reads an EventList and rejects records that are no audit events, with reasons', async () => {
    const list = JSON.stringify({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [EXEC, EXEC],
    });
    expect((await ingestText(k8sAudit, list)).events).toHaveLength(2);

    const mixed = [
      JSON.stringify({ message: '{not json' }),
      JSON.stringify({ message: '{"hello":1}' }),
      JSON.stringify({ ...EXEC, requestReceivedTimestamp: undefined, stageTimestamp: 'yesterday' }),
      '42',
    ].join('\n');
    const { events, rejected } = await ingestText(k8sAudit, mixed);
    expect(events).toEqual([]);
    expect(rejected.map((entry) => entry.code)).toEqual([
      'invalid_json',
      'not_k8s_audit',
      'invalid_time',
      'not_k8s_audit',
    ]);
  });

  it('reads an event written as a JSON string of its text', async () => {
    const text = [JSON.stringify(JSON.stringify(EXEC)), JSON.stringify('hello')].join('\n');
    const { events, rejected } = await ingestText(k8sAudit, text);

    expect(events.map((event) => event.api.operation)).toEqual(['create pods/exec']);
    expect(rejected.map((entry) => entry.code)).toEqual(['invalid_json']);
  });
});
