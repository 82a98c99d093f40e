import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { ingestLogFile, ingestText, ingestWith, LOGS, pantherLogs } from './test-ingest.ts';
import { vpcFlow } from './vpc-flow.ts';

const SAMPLES =
  'elastic-integrations-pipeline-samples/packages/aws/data_stream/vpcflow/_dev/test/pipeline';
const FILES = [
  'test-extra-samples.log',
  'test-tgw-samples.log',
  'test-v5-all-fields.log',
  'test-v8-samples.log',
];

interface ElasticExpected {
  '@timestamp': string;
  aws: { vpcflow: { action: string } };
  source: { ip: string; port: number; bytes: number; packets: number };
  destination: { ip: string; port: number };
  network: { bytes: number; packets: number };
}

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const CUSTOM_HEADER = 'start end srcaddr dstaddr dstport action bytes region flow-direction';

describe('VPC flow logs', () => {
  it('agrees with Elastic on time, addresses, ports, action, bytes and packets', async () => {
    const expectedFile = path.join(LOGS, SAMPLES, 'test-v5-all-fields.log-expected.json');
    const { expected } = JSON.parse(readFileSync(expectedFile, 'utf8')) as {
      expected: ElasticExpected[];
    };
    const { events, rejected } = await ingestLogFile(vpcFlow, `${SAMPLES}/test-v5-all-fields.log`);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(expected.length);
    expected.forEach((want, i) => {
      const event = events[i];
      expect(event?.time).toBe(want['@timestamp']);
      expect(event?.src.ip).toBe(want.source.ip);
      expect(event?.src.port).toBe(want.source.port);
      expect(event?.dst.ip).toBe(want.destination.ip);
      expect(event?.dst.port).toBe(want.destination.port);
      expect(event?.raw.action).toBe(want.aws.vpcflow.action);
      expect(event?.src.bytes).toBe(want.network.bytes);
      expect(event?.src.packets).toBe(want.network.packets);
    });
    expect(events[0]).toMatchObject({
      source: 'aws.vpcflow',
      category: 'network',
      class_uid: 4001,
      activity: 'Refuse',
      status: 'failure',
      status_detail: 'REJECT',
      cloud: { provider: 'aws', account: '64111117617', region: 'us-east-1' },
    });
    expect(events[0]?.resources.map((resource) => resource.uid)).toEqual([
      'eni-069xxxxxb7a490',
      'i-0axxxxxx1ad77',
      'vpc-09676f97xxxxxb8a7',
      'subnet-02d645xxxxxxxdbc0',
    ]);
  });

  it('reads default-format lines, no-data records and IPv6', async () => {
    const { events, rejected } = await ingestLogFile(vpcFlow, `${SAMPLES}/test-extra-samples.log`);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(7);
    expect(events[0]).toMatchObject({
      time: '2016-10-31T11:37:00.000Z',
      activity: 'Traffic',
      status: 'success',
      src: { ip: '2001:db8:1234:a100:8d6e:3477:df66:f105', port: 34892, packets: 54, bytes: 8855 },
      dst: { ip: '2001:db8:1234:a102:3304:8879:34cf:4071', port: 22, bytes: null },
    });
    expect(events[0]?.message).toBe(
      'ACCEPT tcp [2001:db8:1234:a100:8d6e:3477:df66:f105]:34892 -> ' +
        '[2001:db8:1234:a102:3304:8879:34cf:4071]:22, 54 packets, 8855 bytes on eni-1235b8ca123456789',
    );
    expect(events[1]).toMatchObject({
      status: 'unknown',
      status_detail: 'NODATA',
      src: { ip: null, port: null, bytes: null },
      message: 'NODATA on eni-1235b8ca123456789',
    });
    expect(events[4]?.activity).toBe('Refuse');
    expect(events[4]?.raw.original).toContain('49761 3389 6 20 4249');
  });

  it('takes the region, and an account the line lacks, from an S3 delivery file name', async () => {
    const lines = [
      'version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      '2 eni-0a1b2c3d 198.51.100.7 10.0.1.5 50122 22 6 3 180 1712052000 1712052060 REJECT OK',
    ].join('\n');
    const fileName = '123456789012_vpcflowlogs_eu-west-1_fl-0abc123_20240402T1000Z_1a2b3c4d.log.gz';
    const named = await ingestText(vpcFlow, lines, { timezone: 'UTC', fileName });
    expect(named.events[0]?.cloud).toEqual({
      provider: 'aws',
      account: '123456789012',
      region: 'eu-west-1',
    });

    const unnamed = await ingestText(vpcFlow, lines, { timezone: 'UTC', fileName: 'flows.log' });
    expect(unnamed.events[0]?.cloud).toMatchObject({ account: null, region: null });
  });

  it('reads Transit Gateway flow logs with their gateway and attachments', async () => {
    const { events, rejected } = await ingestLogFile(vpcFlow, `${SAMPLES}/test-tgw-samples.log`);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(10);
    expect(events[0]).toMatchObject({
      time: '2025-08-19T08:35:58.000Z',
      src: { ip: '1.128.0.0', port: 39464, packets: 49, bytes: 8947 },
      dst: { ip: '2a02:cf40::', port: 22 },
      cloud: { account: '748335378900' },
    });
    expect(events[0]?.resources.slice(0, 2)).toEqual([
      { uid: 'tgw-0a12bc34de56f7890', type: 'AWS::EC2::TransitGateway' },
      { uid: 'tgw-attach-0789ijkl', type: 'AWS::EC2::TransitGatewayAttachment' },
    ]);
    expect(events[0]?.raw['flow-direction']).toBe('ingress');
  });

  it('reads every field up to version 8, with the reject reason', async () => {
    const { events, rejected } = await ingestLogFile(vpcFlow, `${SAMPLES}/test-v8-samples.log`);

    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      time: '2025-08-20T08:32:55.000Z',
      status: 'failure',
      status_detail: 'BPA',
      cloud: { region: 'us-east-1' },
    });
    expect(events[0]?.raw['ecs-service-name']).toBe('payments-service');
  });

  it('takes a custom layout from its header line, fields in any order', async () => {
    const lines = [
      CUSTOM_HEADER,
      '1700000000 1700000060 198.51.100.7 10.0.0.5 22 REJECT 180 eu-west-1 ingress',
      '1700000000 1700000060 10.0.0.5 - - ACCEPT - eu-west-1 egress',
    ];
    const { events, rejected } = await ingestText(vpcFlow, lines.join('\r\n'));

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      time: '2023-11-14T22:14:20.000Z',
      status: 'failure',
      src: { ip: '198.51.100.7', port: null, bytes: 180, packets: null },
      dst: { ip: '10.0.0.5', port: 22 },
      cloud: { region: 'eu-west-1' },
      evidence: { offset: CUSTOM_HEADER.length + 2 },
    });
    expect(events[1]?.dst).toMatchObject({ ip: null, port: null });
  });

  it('rejects lines that fit no layout and goes on', async () => {
    const good = '2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1700000000 1700000060 ACCEPT OK';
    const lines = [
      good,
      '2 1 eni-1 10.0.0.1 10.0.0.2',
      good.replace('1700000060', 'soon').replace('1700000000', 'later'),
      HEADER,
      '2 1 eni-1 10.0.0.1',
      good,
    ];
    const { events, rejected } = await ingestText(vpcFlow, lines.join('\n'));

    expect(events).toHaveLength(2);
    expect(rejected.map((entry) => entry.code)).toEqual([
      'unknown_layout',
      'invalid_time',
      'field_count',
    ]);
  });

  it('reads a gzip S3 delivery file with its header', async () => {
    const text = `${HEADER}\n2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 51000 6 10 840 1700000000 1700000060 ACCEPT OK\n`;
    const input = Readable.from([gzipSync(text)]).pipe(createGunzip());
    const { events, rejected } = await ingestWith(vpcFlow, input);

    expect(rejected).toEqual([]);
    expect(events[0]?.cloud.account).toBe('123456789012');
    expect(events[0]?.evidence.offset).toBe(HEADER.length + 1);
  });

  it('is recognised among the other formats from its first bytes', () => {
    for (const file of FILES) {
      const head = readFileSync(path.join(LOGS, SAMPLES, file));
      expect(detectFormat(head, file)?.id, file).toBe('aws.vpcflow');
    }
    expect(detectFormat(Buffer.from(`${HEADER}\n`), 'flow.log')?.id).toBe('aws.vpcflow');
  });
});

describe('VPC flow logs from CloudWatch Logs', () => {
  const line =
    '2 123456789012 eni-0a1b 198.51.100.7 10.0.0.5 50041 22 6 10 840 1700000000 1700000060 REJECT OK';

  it('reads the flow lines of filter-log-events output', async () => {
    const output = {
      events: [
        { logStreamName: 'eni-0a1b-all', timestamp: 1700000060000, message: line, eventId: '1' },
        { logStreamName: 'eni-0a1b-all', timestamp: 1700000060000, message: '2 1 eni-0a1b x' },
        { logStreamName: 'eni-0a1b-all', timestamp: 1700000060000 },
      ],
      searchedLogStreams: [],
    };
    const { events, rejected } = await ingestText(vpcFlow, JSON.stringify(output));

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      time: '2023-11-14T22:14:20.000Z',
      status: 'failure',
      src: { ip: '198.51.100.7', port: 50041, bytes: 840 },
      dst: { ip: '10.0.0.5', port: 22 },
    });
    // The log event is kept as read.
    expect(events[0]?.raw.logStreamName).toBe('eni-0a1b-all');
    expect(rejected.map((entry) => entry.code)).toEqual(['unknown_layout', 'not_vpc_flow']);
  });

  it('reads a subscription payload and is recognised from its first bytes', async () => {
    const payload = JSON.stringify({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: 'vpc-flow-logs',
      logStream: 'eni-0a1b-all',
      logEvents: [{ id: '1', timestamp: 1700000060000, message: line }],
    });
    const { events, rejected } = await ingestText(vpcFlow, payload);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(1);
    expect(detectFormat(Buffer.from(payload), 'flow.json')?.id).toBe('aws.vpcflow');
  });

  it('reads Panther JSON renderings of flow records', async () => {
    const panther = pantherLogs('AWS.VPCFlow');
    expect(detectFormat(Buffer.from(panther), 'AWS.VPCFlow.jsonl')?.id).toBe('aws.vpcflow');

    // Panther's rule tests keep only the fields each rule reads, and none keeps a time.
    const tests = await ingestText(vpcFlow, panther);
    expect(tests.events).toEqual([]);
    expect(tests.rejected.map((entry) => entry.code)).toEqual(Array(10).fill('missing_time'));

    const record = {
      version: 2,
      account: '123456789012',
      interfaceId: 'eni-0a1b2c3d',
      srcAddr: '198.51.100.7',
      dstAddr: '10.0.1.5',
      srcPort: 50122,
      dstPort: 22,
      protocol: 6,
      packets: 3,
      bytes: 180,
      start: '2024-04-02 10:00:00.000000000',
      end: '2024-04-02 10:01:00.000000000',
      action: 'REJECT',
      status: 'OK',
      subNetId: 'subnet-0a1b2c3d',
      p_log_type: 'AWS.VPCFlow',
    };
    const { events, rejected } = await ingestText(vpcFlow, JSON.stringify(record));
    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      source: 'aws.vpcflow',
      time: '2024-04-02T10:01:00.000Z',
      status: 'failure',
      src: { ip: '198.51.100.7', port: 50122, bytes: 180, packets: 3 },
      dst: { ip: '10.0.1.5', port: 22 },
      cloud: { account: '123456789012' },
      resources: [
        { uid: 'eni-0a1b2c3d', type: 'AWS::EC2::NetworkInterface' },
        { uid: 'subnet-0a1b2c3d', type: 'AWS::EC2::Subnet' },
      ],
    });
    expect(events[0]?.raw).toEqual(record);
  });

  it('reads Sentinel and Athena JSON renderings of flow records', async () => {
    const sentinel = {
      TimeGenerated: '2024-04-02T10:02:00Z',
      AccountId: '123456789012',
      SrcAddr: '10.0.1.5',
      DstAddr: '203.0.113.9',
      SrcPort: 61000,
      DstPort: 443,
      Protocol: 6,
      Packets: 12,
      Bytes: 5400,
      Start: '2024-04-02T10:00:00Z',
      End: '2024-04-02T10:01:00Z',
      Action: 'ACCEPT',
      LogStatus: 'OK',
    };
    const athena = {
      ...sentinel,
      End: undefined,
      Start: undefined,
      end: 1712052060,
      log_status: 'OK',
    };
    const lines = [JSON.stringify(sentinel), JSON.stringify(athena)].join('\n');
    const { events, rejected } = await ingestText(vpcFlow, lines);

    expect(rejected).toEqual([]);
    for (const event of events) {
      expect(event).toMatchObject({
        time: '2024-04-02T10:01:00.000Z',
        status: 'success',
        src: { ip: '10.0.1.5', port: 61000, bytes: 5400, packets: 12 },
        dst: { ip: '203.0.113.9', port: 443 },
      });
    }
  });
});
