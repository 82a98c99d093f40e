import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

interface TimelineEvent {
  uid: string;
  time: string;
  source: string;
  src: { ip: string | null };
  api: { operation: string | null };
  raw: Record<string, unknown>;
}

const TRAIL_RULE = '4db60cc0-36fb-42b7-9b58-a5b53019fb74';
const EXEC_RULE = 'a1b0ca4e-7835-413e-8471-3ff2b8a66be6';
// SigmaHQ's GCP audit rule on Kubernetes secrets changes (`io.k8s.core.v*.secrets.delete`).
const GCP_SECRETS_RULE = '2f0bae2d-bf20-4465-be86-1311addebaa3';

const STOP_LOGGING = {
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/mallory' },
  eventTime: '2024-04-02T10:00:01Z',
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.7',
  eventID: 'c6e1a3b2-0000-4000-8000-000000000001',
  recipientAccountId: '123456789012',
};

const GKE_EXEC = {
  protoPayload: {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    authenticationInfo: { principalEmail: 'mallory@example.com' },
    methodName: 'io.k8s.core.v1.pods.exec.create',
    requestMetadata: { callerIp: '198.51.100.7' },
    resourceName: 'core/v1/namespaces/prod/pods/web-1/exec',
    serviceName: 'k8s.io',
    status: { code: 0 },
  },
  insertId: 'gke-exec-1',
  resource: { type: 'k8s_cluster', labels: { project_id: 'shop-prod', location: 'europe-west1' } },
  timestamp: '2024-04-02T10:03:00Z',
  logName: 'projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity',
  operation: { id: 'gke-exec-audit-1', producer: 'k8s.io', first: true, last: true },
};

const GKE_SECRET_DELETE = {
  ...GKE_EXEC,
  protoPayload: {
    ...GKE_EXEC.protoPayload,
    methodName: 'io.k8s.core.v1.secrets.delete',
    resourceName: 'core/v1/namespaces/prod/secrets/db-password',
  },
  insertId: 'gke-secret-1',
  timestamp: '2024-04-02T10:04:00Z',
  operation: { id: 'gke-secret-audit-1', producer: 'k8s.io', first: true, last: true },
};

async function writeExport(root: string, stream: string, lines: string[]): Promise<void> {
  const dir = path.join(root, 'exportedlogs', '4b9a2c1e-task', stream);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, '000000.gz'), gzipSync(`${lines.join('\n')}\n`));
}

describe('CloudWatch Logs exports and GKE audit logs', () => {
  let caseDir: string;
  let events: TimelineEvent[];
  let findings: { rule_id: string; event_uids: string[] }[];
  let gcpRules: string;

  beforeAll(async () => {
    const dir = await tempDir();
    const exports = path.join(dir, 'exports');
    await writeExport(exports, 'trail', [
      `2024-04-02T10:00:05.000Z ${JSON.stringify(STOP_LOGGING)}`,
    ]);
    await writeExport(exports, 'eni-0a1b2c3d-all', [
      '2024-04-02T10:01:00.000Z 2 123456789012 eni-0a1b2c3d 198.51.100.7 10.0.1.5 50122 22 6 3 180 1712052000 1712052060 REJECT OK',
    ]);
    const gke = path.join(dir, 'gke-audit.json');
    await writeFile(gke, JSON.stringify([GKE_EXEC, GKE_SECRET_DELETE]));
    caseDir = path.join(dir, 'case');
    const rules = path.join(SHARED_DATA, 'sigma/rules-cloud/rules');
    gcpRules = path.join(rules, 'cloud/gcp/audit');

    const run = await runCli([
      'investigate',
      exports,
      gke,
      '--case',
      caseDir,
      '--rules',
      path.join(rules, 'cloud/aws/cloudtrail'),
      path.join(rules, 'application/kubernetes'),
      gcpRules,
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const timeline = await runCli(['timeline', '--case', caseDir, '--format', 'jsonl']);
    events = timeline.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as TimelineEvent);
    const report = await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8');
    findings = JSON.parse(report);
  }, 120_000);

  it('puts each exported record under its own format', () => {
    expect(events.map((event) => [event.source, event.time])).toEqual([
      ['aws.cloudtrail', '2024-04-02T10:00:01.000Z'],
      ['aws.vpcflow', '2024-04-02T10:01:00.000Z'],
      ['k8s.audit', '2024-04-02T10:03:00.000Z'],
      ['k8s.audit', '2024-04-02T10:04:00.000Z'],
    ]);
    expect(events.every((event) => event.src.ip === '198.51.100.7')).toBe(true);
  });

  it('keeps the log stream that the export folder names', () => {
    expect(events[0]?.raw.cloudwatch_log_event).toMatchObject({ logStreamName: 'trail' });
    expect(events[1]?.raw.logStreamName).toBe('eni-0a1b2c3d-all');
  });

  it('fires SigmaHQ rules on exported and GKE records', () => {
    const fired = (id: string) => findings.find((finding) => finding.rule_id === id)?.event_uids;
    expect(fired(TRAIL_RULE)).toEqual([events[0]?.uid]);
    expect(fired(EXEC_RULE)).toEqual([events[2]?.uid]);
  });

  it('fires GCP audit rules on GKE entries', () => {
    const fired = findings.find((finding) => finding.rule_id === GCP_SECRETS_RULE);
    expect(fired?.event_uids).toEqual([events[3]?.uid]);
  });

  it('hunts GKE entries with GCP audit rules', async () => {
    const run = await runCli(['hunt', '--case', caseDir, '--rules', gcpRules, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { rules: { id: string; matches: number }[] };
    const rule = result.rules.find((entry) => entry.id === GCP_SECRETS_RULE);
    expect(rule?.matches).toBe(1);
  });
});
