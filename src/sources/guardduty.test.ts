import { describe, expect, it } from 'vitest';
import { guardDuty } from './guardduty.ts';
import { detectFormat } from './index.ts';
import { ingestText, pantherLogs } from './test-ingest.ts';

const BRUTE_FORCE = {
  schemaVersion: '2.0',
  accountId: '123456789012',
  region: 'eu-west-1',
  partition: 'aws',
  id: 'f00d',
  arn: 'arn:aws:guardduty:eu-west-1:123456789012:detector/abc/finding/f00d',
  type: 'UnauthorizedAccess:EC2/SSHBruteForce',
  resource: {
    resourceType: 'Instance',
    instanceDetails: { instanceId: 'i-0123456789abcdef0' },
  },
  service: {
    serviceName: 'guardduty',
    detectorId: 'abc',
    action: {
      actionType: 'NETWORK_CONNECTION',
      networkConnectionAction: {
        connectionDirection: 'INBOUND',
        protocol: 'TCP',
        blocked: false,
        remoteIpDetails: { ipAddressV4: '198.51.100.7' },
        remotePortDetails: { port: 50041 },
        localIpDetails: { ipAddressV4: '10.0.0.5' },
        localPortDetails: { port: 22 },
      },
    },
    eventFirstSeen: '2024-05-01T10:00:00.000Z',
    eventLastSeen: '2024-05-01T11:00:00.000Z',
    archived: false,
    count: 40,
  },
  severity: 5,
  createdAt: '2024-05-01T10:05:00.000Z',
  updatedAt: '2024-05-01T11:05:00.000Z',
  title: '198.51.100.7 is performing SSH brute force attacks against i-0123456789abcdef0.',
};

const EVENTBRIDGE = {
  version: '0',
  id: 'e1',
  'detail-type': 'GuardDuty Finding',
  source: 'aws.guardduty',
  account: '123456789012',
  time: '2024-05-01T11:05:00Z',
  region: 'eu-west-1',
  detail: BRUTE_FORCE,
};

describe('GuardDuty findings', () => {
  it('reads every Panther test finding with its first-seen time and API call', async () => {
    const { events, rejected } = await ingestText(guardDuty, pantherLogs('AWS.GuardDuty'));

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(8);
    expect(events[0]).toMatchObject({
      time: '2020-02-14T17:59:17.000Z',
      source: 'aws.guardduty',
      class_uid: 2004,
      class_name: 'Detection Finding',
      api: { service: 'iam.amazonaws.com', operation: 'PutRolePolicy' },
      src: { domain: 'cloudformation.amazonaws.com' },
      cloud: { account: '123456789012', region: 'us-east-1' },
    });
    expect(events[0]?.resources[0]).toEqual({
      uid: 'arn:aws:iam::123456789012:role/IAMRole',
      type: 'AWS::IAM::Role',
    });
    // Panther writes these times with a space and nine fraction digits.
    expect(events[2]?.time).toBe('2025-02-25T20:40:06.000Z');
    expect(events[2]?.message).toMatch(
      /^GuardDuty critical AttackSequence:IAM\/CompromisedCredentials: /,
    );
  });

  it('reads an EventBridge finding with the attacker as source', async () => {
    const { events, rejected } = await ingestText(guardDuty, JSON.stringify(EVENTBRIDGE));

    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      time: '2024-05-01T10:00:00.000Z',
      category: 'compute',
      activity: 'Create',
      src: { ip: '198.51.100.7', port: 50041 },
      dst: { ip: '10.0.0.5', port: 22 },
      message:
        'GuardDuty medium UnauthorizedAccess:EC2/SSHBruteForce from 198.51.100.7: ' +
        '198.51.100.7 is performing SSH brute force attacks against i-0123456789abcdef0.',
    });
    expect(events[0]?.resources.map((resource) => resource.uid)).toEqual([
      'i-0123456789abcdef0',
      BRUTE_FORCE.arn,
    ]);
    expect(events[0]?.raw).toEqual(EVENTBRIDGE);
  });

  it('reads get-findings output and rejects what is no finding', async () => {
    const output = {
      Findings: [
        BRUTE_FORCE,
        { hello: 'world' },
        {
          ...BRUTE_FORCE,
          service: { serviceName: 'guardduty' },
          createdAt: undefined,
          updatedAt: undefined,
        },
      ],
    };
    const { events, rejected } = await ingestText(guardDuty, JSON.stringify(output));

    expect(events).toHaveLength(1);
    expect(rejected.map((entry) => entry.code)).toEqual(['not_guardduty', 'missing_time']);
  });

  it('is recognised among the other formats from its first bytes', () => {
    expect(detectFormat(Buffer.from(pantherLogs('AWS.GuardDuty')), 'findings.json')?.id).toBe(
      'aws.guardduty',
    );
    expect(detectFormat(Buffer.from(JSON.stringify(EVENTBRIDGE)), 'event.json')?.id).toBe(
      'aws.guardduty',
    );
    const output = JSON.stringify({ Findings: [BRUTE_FORCE] }, null, 2);
    expect(detectFormat(Buffer.from(output), 'findings.json')?.id).toBe('aws.guardduty');
  });
});
