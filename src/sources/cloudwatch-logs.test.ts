import { describe, expect, it } from 'vitest';
import { cloudWatchLogs } from './cloudwatch-logs.ts';
import { detectFormat } from './index.ts';
import { ingestText } from './test-ingest.ts';

// `aws logs filter-log-events` output of a log group the CloudWatch agent fills from /var/log/secure.
const FILTER_OUTPUT = {
  events: [
    {
      logStreamName: 'i-0a1b2c3d4e5f60718',
      timestamp: 1712052001000,
      message:
        'Apr  2 10:00:01 ip-10-0-1-5 sshd[2211]: Accepted publickey for ec2-user from 198.51.100.7 port 50122 ssh2',
      ingestionTime: 1712052002000,
      eventId: '38174626450261100000000000000000000000000000000000000000',
    },
    {
      logStreamName: '2024/04/02/[$LATEST]9f8e7d6c',
      timestamp: 1712052005000,
      message: 'START RequestId: 6f1c2a52-7d0e-4a8b-9a51-2f7b1e0c9d11 Version: $LATEST\n',
      ingestionTime: 1712052006000,
      eventId: '38174626539464800000000000000000000000000000000000000001',
    },
    { logStreamName: 'i-0a1b2c3d4e5f60718', message: 'no time here' },
  ],
  searchedLogStreams: [],
};

describe('CloudWatch Logs exports', () => {
  it('reads agent syslog lines as sign-ins and other messages as log lines', async () => {
    const { events, rejected } = await ingestText(cloudWatchLogs, JSON.stringify(FILTER_OUTPUT));

    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      source: 'host.syslog',
      time: '2024-04-02T10:00:01.000Z',
      category: 'identity',
      actor: { uid: 'ec2-user' },
      src: { ip: '198.51.100.7', port: 50122 },
      raw: FILTER_OUTPUT.events[0],
    });
    expect(events[1]).toMatchObject({
      source: 'aws.cloudwatch',
      category: 'compute',
      time: '2024-04-02T10:00:05.000Z',
      resources: [{ uid: '2024/04/02/[$LATEST]9f8e7d6c', type: 'log_stream' }],
    });
    expect(events[1]?.message).toMatch(/^2024\/04\/02\/\[\$LATEST\]9f8e7d6c: START RequestId/);
    expect(rejected).toEqual([expect.objectContaining({ code: 'missing_time' })]);
  });

  it('is recognised, while flow log messages stay with the flow log format', () => {
    expect(detectFormat(Buffer.from(JSON.stringify(FILTER_OUTPUT)), 'x.json')?.id).toBe(
      'aws.cloudwatch',
    );
    const flows = {
      events: [
        {
          logStreamName: 'eni-0a1b2c3d-all',
          timestamp: 1712052001000,
          message:
            '2 123456789012 eni-0a1b2c3d 198.51.100.7 10.0.1.5 50122 22 6 3 180 1712052000 1712052060 REJECT OK',
        },
      ],
    };
    expect(detectFormat(Buffer.from(JSON.stringify(flows)), 'x.json')?.id).toBe('aws.vpcflow');
    const trail = {
      events: [
        {
          logStreamName: '123456789012_CloudTrail_us-east-1',
          timestamp: 1712052001000,
          message: JSON.stringify({
            eventVersion: '1.08',
            eventTime: '2024-04-02T10:00:01Z',
            eventSource: 'iam.amazonaws.com',
            eventName: 'CreateUser',
            awsRegion: 'us-east-1',
            eventID: 'a1',
          }),
        },
      ],
    };
    expect(detectFormat(Buffer.from(JSON.stringify(trail)), 'x.json')?.id).toBe('aws.cloudtrail');
  });
});
