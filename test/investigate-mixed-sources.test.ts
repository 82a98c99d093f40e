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
const OKTA_FACTOR_RESET_RULE = '50e068d7-1e6b-4054-87e5-0a592c40c7e0';

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
    const okta = path.join(dir, 'okta.json');
    const factorReset = {
      uuid: 'okta-1',
      published: '2021-01-01T00:07:00.000Z',
      eventType: 'user.mfa.factor.deactivate',
      displayMessage: 'Reset factor for user',
      actor: { id: '00u1', type: 'User', alternateId: 'mallory@example.com' },
      client: { ipAddress: '198.51.100.7' },
      outcome: { result: 'SUCCESS' },
    };
    await writeFile(okta, JSON.stringify([factorReset]));

    caseDir = path.join(dir, 'case');
    const rules = path.join(SHARED_DATA, 'sigma/rules-cloud/rules');
    const run = await runCli([
      'investigate',
      k8s,
      gcp,
      okta,
      path.join(SHARED_DATA, 'logs/plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl'),
      path.join(SHARED_DATA, 'logs/otrf-goldensaml-adfs-mail-access/AADAuditEvents.json'),
      path.join(SHARED_DATA, 'logs/otrf-goldensaml-adfs-mail-access/OfficeActivityEvents.json'),
      '--case',
      caseDir,
      '--rules',
      path.join(rules, 'application/kubernetes'),
      path.join(rules, 'cloud/gcp/audit'),
      path.join(rules, 'identity/okta'),
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
    expect(summary.records).toEqual({ read: 16, stored: 16, rejected: 0 });
    expect(new Set(events.map((event) => event.source))).toEqual(
      new Set([
        'aws.cloudtrail',
        'k8s.audit',
        'gcp.audit',
        'azure.audit',
        'm365.audit',
        'okta.system',
      ]),
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
    expect(byRule(OKTA_FACTOR_RESET_RULE)).toEqual(['user.mfa.factor.deactivate']);
  });

  it('reports present and missing categories', async () => {
    const report = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');
    const section = report.slice(report.indexOf('## Log coverage'), report.indexOf('## Findings'));

    // The Entra audit export has one record (one Id) in two rows, which counts once.
    expect(section).toMatch(
      /\| audit \| yes \| 12 \| aws\.cloudtrail, azure\.audit, gcp\.audit, m365\.audit \|/,
    );
    expect(section).toMatch(/\| kubernetes \| yes \| 2 \| k8s\.audit \|/);
    expect(section).toMatch(/\| identity \| yes \| 6 \| azure\.audit, gcp\.audit, okta\.system \|/);
    // The mailbox access in the Microsoft 365 audit log shows data read.
    expect(section).toMatch(/\| storage \| yes \| 1 \| m365\.audit \|/);
    // The CloudTrail file contains EC2 network and instance API calls, which show no flows.
    expect(section).toMatch(/\| network \| MISSING \| 0 \|/);
    expect(section).toMatch(/\| compute \| MISSING \| 0 \|/);
    expect(section).toContain('No network, compute, secrets, database logs');

    // The Sources table counts events under the format that read them.
    const sources = report.slice(report.indexOf('## Sources'), report.indexOf('## Log coverage'));
    expect(sources).toMatch(
      /\| azure\.monitor \| 4 \| 4 \| 0 \| 3 \| 2021-08-02T13:25:12\.246Z \|/,
    );
    expect(sources).not.toContain('azure.audit');

    const summary = await runCli([
      'investigate',
      '--case',
      caseDir,
      path.join(caseDir, '..', 'activity.json'),
    ]);
    expect(summary.stdout).toMatch(/Missing, so not visible: network, /);
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
  it('lists formats with examples and logsources', async () => {
    const run = await runCli(['sources', '--json']);
    expect(run.code).toBe(0);
    const listing = JSON.parse(run.stdout) as { id: string; example: string; sigma: string[] }[];

    expect(listing.map((entry) => entry.id)).toEqual([
      'aws.cloudtrail',
      'k8s.audit',
      'gcp.audit',
      'azure.monitor',
      'azure.flow',
      'm365.audit',
      'okta.system',
      'github.audit',
      'aws.vpcflow',
      'aws.s3access',
      'aws.elb',
      'aws.guardduty',
      'aws.route53resolver',
      'aws.rds',
      'aws.cloudtrail.digest',
      'aws.honeybucket',
      'host.syslog',
      'host.auditd',
      'host.journald',
      'aws.cloudwatch',
    ]);
    expect(listing.find((entry) => entry.id === 'azure.monitor')?.sigma).toEqual([
      'azure/activitylogs',
      'azure/signinlogs',
      'azure/auditlogs',
    ]);
    expect(listing.find((entry) => entry.id === 'k8s.audit')?.sigma).toEqual(['kubernetes/audit']);
    expect(listing.find((entry) => entry.id === 'aws.vpcflow')?.sigma).toEqual([
      'category=firewall',
    ]);
    expect(listing.find((entry) => entry.id === 'aws.route53resolver')?.sigma).toEqual([
      'category=dns',
    ]);
    for (const entry of listing) expect(entry.example).not.toBe('');

    const text = await runCli(['sources']);
    expect(text.stdout).toContain('example: kube-apiserver-audit.log');
  });
});

describe('implausible event times', () => {
  it('rejects times before 1990 or far in the future, with their line', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'syslog.log');
    await writeFile(
      log,
      [
        '<38>1 9999-12-31T23:59:59Z web1 sshd 1 - - far future',
        '<38>1 2024-05-01T10:00:00Z web1 sshd 1 - - fine',
        '<38>1 1970-01-01T00:00:01Z web1 sshd 1 - - epoch slip',
      ].join('\n'),
    );
    const caseDir = path.join(dir, 'case');
    const run = await runCli(['investigate', log, '--case', caseDir, '--json']);
    const summary = JSON.parse(run.stdout) as { records: Record<string, number> };

    expect(run.code).toBe(3);
    expect(summary.records).toEqual({ read: 3, stored: 1, rejected: 2 });
    const report = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');
    expect(report.match(/implausible_time/g)?.length).toBeGreaterThanOrEqual(2);
  });
});
