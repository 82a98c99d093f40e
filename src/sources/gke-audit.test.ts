import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules, RuleSet } from '../detect/sigma/index.ts';
import { gcpAudit } from './gcp-audit.ts';
import { k8sAudit } from './k8s-audit.ts';
import { ingestText, LOGS } from './test-ingest.ts';

const KUBERNETES_RULES = path.resolve(
  LOGS,
  '../sigma/rules-cloud/rules/application/kubernetes/audit',
);
const EXEC_RULE = 'a1b0ca4e-7835-413e-8471-3ff2b8a66be6';

/** Builds a GKE audit entry for one Kubernetes API call, as Cloud Logging writes it. */
function gkeEntry(method: string, resourceName: string, code = 0) {
  return {
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      authenticationInfo: { principalEmail: 'mallory@example.com' },
      authorizationInfo: [{ granted: code === 0, permission: method, resource: resourceName }],
      methodName: method,
      requestMetadata: { callerIp: '198.51.100.7', callerSuppliedUserAgent: 'kubectl/v1.29.2' },
      resourceName,
      serviceName: 'k8s.io',
      status: { code },
    },
    insertId: `insert-${method}`,
    resource: {
      type: 'k8s_cluster',
      labels: { cluster_name: 'shop', location: 'europe-west1', project_id: 'shop-prod' },
    },
    timestamp: '2024-04-02T10:00:00.123456Z',
    labels: { 'authorization.k8s.io/decision': 'allow' },
    logName: 'projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity',
    operation: { id: `audit-${method}`, producer: 'k8s.io', first: true, last: true },
    receiveTimestamp: '2024-04-02T10:00:01.000000Z',
  };
}

const EXEC = gkeEntry('io.k8s.core.v1.pods.exec.create', 'core/v1/namespaces/prod/pods/web-1/exec');
const BINDING = gkeEntry(
  'io.k8s.authorization.rbac.v1.clusterrolebindings.create',
  'rbac.authorization.k8s.io/v1/clusterrolebindings/mallory-admin',
);
const DENIED = gkeEntry('io.k8s.core.v1.secrets.list', 'core/v1/namespaces/kube-system/secrets', 7);

describe('GKE audit entries', () => {
  it('become Kubernetes audit events with derived fields', async () => {
    const { events, rejected } = await ingestText(gcpAudit, JSON.stringify([EXEC, DENIED]));

    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      source: 'k8s.audit',
      category: 'kubernetes',
      time: '2024-04-02T10:00:00.123Z',
      activity: 'Create',
      actor: { uid: 'mallory@example.com' },
      src: { ip: '198.51.100.7' },
      user_agent: 'kubectl/v1.29.2',
      cloud: { provider: 'gcp', account: 'shop-prod', region: 'europe-west1' },
      api: { operation: 'create pods/exec', request_id: 'audit-io.k8s.core.v1.pods.exec.create' },
    });
    expect(events[0]?.raw).toMatchObject({
      verb: 'create',
      requestURI: '/api/v1/namespaces/prod/pods/web-1/exec',
      objectRef: { resource: 'pods', namespace: 'prod', name: 'web-1', subresource: 'exec' },
      user: { username: 'mallory@example.com' },
      sourceIPs: ['198.51.100.7'],
      responseStatus: { code: 200 },
      protoPayload: EXEC.protoPayload,
      insertId: EXEC.insertId,
    });
    expect(events[1]).toMatchObject({ category: 'secrets', status: 'failure' });
    expect(events[1]?.raw).toMatchObject({ verb: 'list', responseStatus: { code: 403 } });
  });

  it('name the API group of objects outside the core group', async () => {
    const { events } = await ingestText(k8sAudit, JSON.stringify(BINDING));

    expect(events[0]?.raw).toMatchObject({
      verb: 'create',
      objectRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        apiVersion: 'v1',
        resource: 'clusterrolebindings',
        name: 'mallory-admin',
      },
      requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/mallory-admin',
    });
    expect(events[0]?.raw).not.toHaveProperty('objectRef.namespace');
  });

  it('fire SigmaHQ Kubernetes audit rules', async () => {
    const loaded = await loadRules([KUBERNETES_RULES]);
    const rules = new RuleSet(loaded.rules);
    const { events } = await ingestText(gcpAudit, JSON.stringify([EXEC, BINDING, DENIED]));

    const fired = events.map((event) => rules.match(event).map((match) => match.rule_id));
    expect(fired[0]).toContain(EXEC_RULE);
    // Cluster role binding changes and denied secret listings have rules of their own.
    expect(fired[1]).not.toEqual([]);
    expect(fired[2]).not.toEqual([]);
    expect(fired[1]).not.toContain(EXEC_RULE);
  });
});
