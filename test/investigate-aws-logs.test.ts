import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

interface TimelineEvent {
  uid: string;
  time: string;
  source: string;
  category: string;
  src: { ip: string | null };
  raw: Record<string, unknown>;
}

interface Counts {
  read: number;
  stored: number;
  rejected: number;
}

interface Summary {
  records: Counts;
  sources: Record<string, Counts>;
  streams: { path: string; format: string | null }[];
  rejected: { path: string; code: string; line: number }[];
}

const ATTACKER = '198.51.100.7';
const FLOW_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

// 2021-01-01T00:10:00Z and a minute later, in epoch seconds.
const FLOW_LINES = [
  FLOW_HEADER,
  `2 123456789012 eni-0a1b ${ATTACKER} 10.0.0.5 50041 22 6 10 840 1609459800 1609459860 ACCEPT OK`,
  `2 123456789012 eni-0a1b 10.0.0.5 ${ATTACKER} 443 50042 6 900 9000000 1609459800 1609459860 ACCEPT OK`,
  '2 123456789012 eni-0a1b cut short',
];

function accessLine(time: string, operation: string, key: string, status: number): string {
  return (
    `${OWNER} evidence [${time} +0000] ${ATTACKER} arn:aws:iam::123456789012:user/mallory ` +
    `REQ${status} ${operation} ${key} "GET /evidence/${key} HTTP/1.1" ${status} - 4096 4096 ` +
    '12 11 "-" "aws-cli/2.15.0" - hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader ' +
    'evidence.s3.us-east-1.amazonaws.com TLSv1.3 - -'
  );
}

const ELB_LINE =
  'https 2021-01-01T00:20:00.000000Z app/web/0123456789abcdef 198.51.100.7:4000 10.0.0.5:443 ' +
  '0.001 0.002 0.000 200 200 300 5000 "GET https://shop.example.com:443/admin HTTP/1.1" ' +
  '"curl/8.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ' +
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123 "Root=1-abc" ' +
  '"shop.example.com" "-" 0 2021-01-01T00:19:59.000000Z "forward" "-" "-" "10.0.0.5:443" "200" "-" "-"';

const FINDING = {
  'detail-type': 'GuardDuty Finding',
  source: 'aws.guardduty',
  detail: {
    schemaVersion: '2.0',
    accountId: '123456789012',
    region: 'us-east-1',
    id: 'f00d',
    arn: 'arn:aws:guardduty:us-east-1:123456789012:detector/abc/finding/f00d',
    type: 'UnauthorizedAccess:EC2/SSHBruteForce',
    resource: { resourceType: 'Instance', instanceDetails: { instanceId: 'i-0123' } },
    service: {
      serviceName: 'guardduty',
      detectorId: 'abc',
      eventFirstSeen: '2021-01-01T00:11:00Z',
      action: {
        actionType: 'NETWORK_CONNECTION',
        networkConnectionAction: {
          connectionDirection: 'INBOUND',
          remoteIpDetails: { ipAddressV4: ATTACKER },
          localPortDetails: { port: 22 },
        },
      },
    },
    severity: 5,
    createdAt: '2021-01-01T00:16:00Z',
    title: 'SSH brute force',
  },
};

const DNS_QUERY = {
  version: '1.100000',
  account_id: '123456789012',
  region: 'us-east-1',
  vpc_id: 'vpc-0abc',
  query_timestamp: '2021-01-01T00:09:00Z',
  query_name: 'pool.miner.example.',
  query_type: 'A',
  rcode: 'NOERROR',
  answers: [{ Rdata: ATTACKER, Type: 'A', Class: 'IN' }],
  srcaddr: '10.0.0.5',
  srcport: '53211',
  srcids: { instance: 'i-0123' },
};

describe('a case mixing CloudTrail with flow, S3, load balancer, DNS and GuardDuty logs', () => {
  let summary: Summary;
  let code: number;
  let events: TimelineEvent[];

  beforeAll(async () => {
    const dir = await tempDir();
    const folder = path.join(dir, 'AWSLogs');
    await mkdir(folder);
    const flowName = '123456789012_vpcflowlogs_us-east-1_fl-0123_20210101T0010Z_a1b2.log.gz';
    await writeFile(path.join(folder, flowName), gzipSync(`${FLOW_LINES.join('\n')}\n`));
    const access = [
      accessLine('01/Jan/2021:00:12:00', 'REST.GET.OBJECT', 'secrets/db.env', 200),
      accessLine('01/Jan/2021:00:13:00', 'REST.GET.OBJECT', 'secrets/keys.pem', 403),
    ];
    await writeFile(path.join(folder, '2021-01-01-00-15-00-ABCDEF0123456789'), access.join('\r\n'));
    await writeFile(path.join(folder, 'elb-access.log'), `${ELB_LINE}\n`);
    await writeFile(path.join(folder, 'guardduty-finding.json'), JSON.stringify(FINDING));
    const dnsName = '123456789012_vpcdnsquerylogs_vpc-0abc_20210101T0005Z_c3d4.log.gz';
    await writeFile(path.join(folder, dnsName), gzipSync(`${JSON.stringify(DNS_QUERY)}\n`));
    await copyFile(
      path.join(SHARED_DATA, 'logs/plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl'),
      path.join(folder, 'cloudtrail.jsonl'),
    );

    const caseDir = path.join(dir, 'case');
    const run = await runCli(['investigate', folder, '--case', caseDir, '--json']);
    expect(run.stderr).toBe('');
    code = run.code;
    summary = JSON.parse(run.stdout) as Summary;

    const timeline = await runCli(['timeline', '--case', caseDir, '--format', 'jsonl']);
    events = timeline.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as TimelineEvent);
  }, 120_000);

  it('recognises each file by itself and reconciles the counts', () => {
    // The flow log's cut-short line is rejected, so the run ends as partial.
    expect(code).toBe(3);
    expect(summary.records).toEqual({ read: 14, stored: 13, rejected: 1 });
    expect(summary.sources['aws.vpcflow']).toEqual({ read: 3, stored: 2, rejected: 1 });
    expect(summary.sources['aws.s3access']).toEqual({ read: 2, stored: 2, rejected: 0 });
    expect(summary.sources['aws.elb']).toEqual({ read: 1, stored: 1, rejected: 0 });
    expect(summary.sources['aws.route53resolver']).toEqual({ read: 1, stored: 1, rejected: 0 });
    expect(summary.sources['aws.guardduty']).toEqual({ read: 1, stored: 1, rejected: 0 });
    expect(summary.sources['aws.cloudtrail']).toEqual({ read: 6, stored: 6, rejected: 0 });
    for (const counts of Object.values(summary.sources)) {
      expect(counts.read).toBe(counts.stored + counts.rejected);
    }
    expect(summary.rejected).toHaveLength(1);
    expect(summary.rejected[0]).toMatchObject({ code: 'field_count', line: 4 });
  });

  it('puts every source on one timeline in time order', () => {
    expect(events).toHaveLength(13);
    expect(new Set(events.map((event) => event.source))).toEqual(
      new Set([
        'aws.cloudtrail',
        'aws.vpcflow',
        'aws.s3access',
        'aws.elb',
        'aws.guardduty',
        'aws.route53resolver',
      ]),
    );
    const times = events.map((event) => event.time);
    expect(times).toEqual([...times].sort());
  });

  it('keeps the original line of a text record in its raw fields', () => {
    const flow = events.find((event) => event.source === 'aws.vpcflow');
    expect(flow?.src.ip).toBe(ATTACKER);
    expect(flow?.raw.original).toBe(FLOW_LINES[1]);
    expect(flow?.raw.dstport).toBe('22');
  });
});
