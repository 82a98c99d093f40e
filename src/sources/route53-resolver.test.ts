import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { route53Resolver } from './route53-resolver.ts';
import { ingestText, LOGS } from './test-ingest.ts';

/** The Panther rule test events of log type `AWS.VPCDns`, which rules for several types share. */
function pantherDnsLogs(): string {
  const file = path.join(
    LOGS,
    'panther-analysis-rule-tests/tests_by_logtype/_multi_or_unspecified_logtype.jsonl',
  );
  const tests = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { log: { p_log_type?: string } });
  const logs = tests.map((test) => test.log).filter((log) => log.p_log_type === 'AWS.VPCDns');
  return logs.map((log) => JSON.stringify(log)).join('\n');
}

const BLOCKED = {
  version: '1.100000',
  account_id: '123456789012',
  region: 'eu-west-1',
  vpc_id: 'vpc-0abc',
  query_timestamp: '2024-05-01T10:00:00Z',
  query_name: 'pool.miner.example.',
  query_type: 'A',
  query_class: 'IN',
  rcode: 'NOERROR',
  answers: [],
  srcaddr: '10.0.0.5',
  srcport: '53211',
  transport: 'UDP',
  srcids: { instance: 'i-0123456789abcdef0' },
  firewall_rule_action: 'BLOCK',
  firewall_rule_group_id: 'rslvr-frg-0123',
};

describe('Route 53 Resolver query logs', () => {
  it('reads the Panther query log events with time, client and name', async () => {
    const logs = pantherDnsLogs();
    const { events, rejected } = await ingestText(route53Resolver, logs);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(logs.split('\n').length);
    expect(events[0]).toMatchObject({
      time: '2022-06-25T00:27:53.000Z',
      source: 'aws.route53resolver',
      category: 'network',
      class_uid: 4003,
      activity: 'Query',
      status: 'success',
      src: { ip: '5.6.7.8', port: 8888 },
      dst: { domain: 'dynamodb.us-west-2.amazonaws.com' },
      cloud: { account: '0123456789', region: 'us-west-2' },
      resources: [
        { uid: 'vpc-abc123', type: 'AWS::EC2::VPC' },
        { uid: 'i-0abc234', type: 'AWS::EC2::Instance' },
      ],
      message: '5.6.7.8 queried A dynamodb.us-west-2.amazonaws.com -> NOERROR 1.2.3.4',
    });
    // A trailing dot in the query name is dropped from the domain.
    expect(events[1]?.dst.domain).toBe('dynamodb.us-west-2.amazonaws.com');
  });

  it('marks a query that DNS Firewall blocked as a failure', async () => {
    const { events } = await ingestText(route53Resolver, JSON.stringify(BLOCKED));

    expect(events[0]).toMatchObject({
      status: 'failure',
      status_detail: 'BLOCK',
      src: { ip: '10.0.0.5', port: 53211 },
      message: '10.0.0.5 queried A pool.miner.example -> BLOCK',
    });
    expect(events[0]?.resources.at(-1)).toEqual({
      uid: 'rslvr-frg-0123',
      type: 'AWS::Route53Resolver::FirewallRuleGroup',
    });
  });

  it('rejects records without a name or time', async () => {
    const lines = [
      JSON.stringify({ ...BLOCKED, query_name: undefined }),
      JSON.stringify({ ...BLOCKED, query_timestamp: undefined }),
      JSON.stringify({ ...BLOCKED, query_timestamp: 'yesterday' }),
    ];
    const { events, rejected } = await ingestText(route53Resolver, lines.join('\n'));

    expect(events).toEqual([]);
    expect(rejected.map((entry) => entry.code)).toEqual([
      'not_dns_query',
      'missing_time',
      'invalid_time',
    ]);
  });

  it('is recognised among the other formats from its first bytes', () => {
    expect(detectFormat(Buffer.from(pantherDnsLogs()), 'dns.log')?.id).toBe('aws.route53resolver');
  });
});

describe('Route 53 Resolver query logs from CloudWatch Logs', () => {
  it('reads records inside log event messages and rejects the rest', async () => {
    const output = {
      events: [
        { logStreamName: 'vpc-0abc', timestamp: 1714557600000, message: JSON.stringify(BLOCKED) },
        { logStreamName: 'vpc-0abc', timestamp: 1714557600000, message: '{"query_name": ' },
        { logStreamName: 'vpc-0abc', timestamp: 1714557600000, message: '{"hello": "world"}' },
      ],
    };
    const text = JSON.stringify(output);
    const { events, rejected } = await ingestText(route53Resolver, text);

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ time: '2024-05-01T10:00:00.000Z', status: 'failure' });
    expect(events[0]?.raw).toEqual(BLOCKED);
    expect(rejected.map((entry) => entry.code)).toEqual(['invalid_json', 'not_dns_query']);
    expect(detectFormat(Buffer.from(text), 'dns.json')?.id).toBe('aws.route53resolver');
  });
});
