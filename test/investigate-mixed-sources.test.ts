import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

interface Finding {
  rule_id: string;
  event_uids: string[];
}

interface TimelineEvent {
  uid: string;
  time: string;
  source: string;
  category: string;
  api: { operation: string | null };
}

const EXEC_RULE = 'a1b0ca4e-7835-413e-8471-3ff2b8a66be6';
const SERVICE_ACCOUNT_DELETED_RULE = '13f81a90-a69c-4fab-8f07-b5bb55416a9f';

function auditEvent(verb: string, subresource: string | null, time: string) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `${verb}-${time}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/prod/pods/web-1',
    verb,
    user: { username: 'mallory@example.com' },
    sourceIPs: ['198.51.100.7'],
    objectRef: { resource: 'pods', namespace: 'prod', name: 'web-1', subresource },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: time,
  };
}

function gcpEntry(method: string, time: string) {
  return {
    logName: 'projects/shop/logs/cloudaudit.googleapis.com%2Factivity',
    insertId: method,
    timestamp: time,
    resource: { type: 'service_account', labels: { project_id: 'shop' } },
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName: 'iam.googleapis.com',
      methodName: method,
      authenticationInfo: { principalEmail: 'mallory@example.com' },
      requestMetadata: { callerIp: '198.51.100.7' },
    },
  };
}

describe('a case mixing CloudTrail, Kubernetes and GCP audit logs', () => {
  let caseDir: string;
  let events: TimelineEvent[];
  let findings: Finding[];
  let summary: { records: { read: number; stored: number; rejected: number } };

  beforeAll(async () => {
    const dir = await tempDir();
    const k8s = path.join(dir, 'kube-apiserver-audit.log');
    const gcp = path.join(dir, 'activity.json');
    const lines = [
      auditEvent('get', null, '2021-01-01T00:00:00Z'),
      auditEvent('create', 'exec', '2021-01-01T00:05:00Z'),
    ];
    await writeFile(k8s, lines.map((line) => JSON.stringify(line)).join('\n'));
    const entries = [
      gcpEntry('google.iam.admin.v1.ListServiceAccounts', '2021-01-01T00:01:00Z'),
      gcpEntry('google.iam.admin.v1.serviceAccounts.delete', '2021-01-01T00:06:00Z'),
    ];
    await writeFile(gcp, JSON.stringify(entries));

    caseDir = path.join(dir, 'case');
    const rules = path.join(SHARED_DATA, 'sigma/rules-cloud/rules');
    const run = await runCli([
      'investigate',
      k8s,
      gcp,
      path.join(SHARED_DATA, 'logs/plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl'),
      '--case',
      caseDir,
      '--rules',
      path.join(rules, 'application/kubernetes'),
      path.join(rules, 'cloud/gcp/audit'),
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    summary = JSON.parse(run.stdout);

    const timeline = await runCli(['timeline', '--case', caseDir, '--format', 'jsonl']);
    events = timeline.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as TimelineEvent);
    const report = await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8');
    findings = JSON.parse(report) as Finding[];
  }, 120_000);

  it('recognises each file by itself and puts every record on one timeline', () => {
    expect(summary.records).toEqual({ read: 10, stored: 10, rejected: 0 });
    expect(new Set(events.map((event) => event.source))).toEqual(
      new Set(['aws.cloudtrail', 'k8s.audit', 'gcp.audit']),
    );
    const times = events.map((event) => event.time);
    expect(times).toEqual([...times].sort());
  });

  it('runs SigmaHQ Kubernetes and GCP rules on their own sources only', () => {
    const byRule = (id: string) => {
      const uids = new Set(findings.find((finding) => finding.rule_id === id)?.event_uids);
      return events.filter((event) => uids.has(event.uid)).map((event) => event.api.operation);
    };
    expect(byRule(EXEC_RULE)).toEqual(['create pods/exec']);
    expect(byRule(SERVICE_ACCOUNT_DELETED_RULE)).toEqual([
      'google.iam.admin.v1.serviceAccounts.delete',
    ]);
  });

  it('filters the timeline by source', async () => {
    const run = await runCli([
      'timeline',
      '--case',
      caseDir,
      '--source',
      'k8s.audit',
      '--format',
      'jsonl',
    ]);
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(2);
    expect(
      lines.every((line) => (JSON.parse(line) as TimelineEvent).category === 'kubernetes'),
    ).toBe(true);
  });
});

describe('cloudcase sources', () => {
  it('lists every format with an example file name and the Sigma logsource routed to it', async () => {
    const run = await runCli(['sources', '--json']);
    expect(run.code).toBe(0);
    const listing = JSON.parse(run.stdout) as { id: string; example: string; sigma: string[] }[];

    expect(listing.map((entry) => entry.id)).toEqual([
      'aws.cloudtrail',
      'k8s.audit',
      'gcp.audit',
      'aws.vpcflow',
      'aws.s3access',
      'aws.elb',
      'aws.guardduty',
      'aws.route53resolver',
    ]);
    expect(listing.find((entry) => entry.id === 'k8s.audit')?.sigma).toEqual(['kubernetes/audit']);
    for (const entry of listing) expect(entry.example).not.toBe('');

    const text = await runCli(['sources']);
    expect(text.stdout).toContain('example: kube-apiserver-audit.log');
  });
});
