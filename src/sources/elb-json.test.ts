import { describe, expect, it } from 'vitest';
import type { Event } from '../core/event.ts';
import { elb } from './elb.ts';
import { detectFormat } from './index.ts';
import { ingestLogFile, ingestText } from './test-ingest.ts';
import { RAW_LINE_KEY } from './text-lines.ts';

// Real ALB, NLB, Classic and connection log lines; each is rendered as JSON below.
const TEXT_LOGS = [
  'plaso-cloud-test-data/test_data/aws_elb_access.log',
  'elastic-integrations-pipeline-samples/packages/aws/data_stream/elb_logs/_dev/test/pipeline/test-alb.log',
];

/**
 * Renders the fields of a text line the way Athena's tables name them: endpoints split into
 * `<name>_ip` and `<name>_port`, the request into verb, URL and protocol, numbers as numbers.
 */
function athenaRecord(fields: Record<string, unknown>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === RAW_LINE_KEY || typeof value !== 'string') continue;
    if (key.endsWith(':port')) {
      const base = key.slice(0, -':port'.length);
      const split = value.lastIndexOf(':');
      record[`${base}_ip`] = split === -1 ? value : value.slice(0, split);
      if (split !== -1) record[`${base}_port`] = Number(value.slice(split + 1));
    } else if (key === 'request') {
      const parts = value.split(' ');
      const protocol = /^HTTP\/\d/.test(parts.at(-1) ?? '') ? parts.pop() : undefined;
      record.request_verb = parts.shift();
      record.request_url = parts.join(' ');
      if (protocol !== undefined) record.request_proto = protocol;
    } else if (/^-?\d+(\.\d+)?$/.test(value) && !/^0\d/.test(value)) {
      record[key] = Number(value);
    } else {
      record[key] = value;
    }
  }
  return record;
}

function camelCased(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [
      key.replace(/[_:]([a-z])/g, (_match, letter: string) => letter.toUpperCase()),
      value,
    ]),
  );
}

// What a JSON rendering must give like the line it renders: all but the record's location.
function comparable(event: Event) {
  const { uid: _uid, evidence: _evidence, raw: _raw, ...rest } = event;
  return rest;
}

describe('load balancer logs as JSON', () => {
  it.each(TEXT_LOGS)('reads every record of %s rendered as JSON', async (file) => {
    const text = await ingestLogFile(elb, file);
    expect(text.rejected).toEqual([]);
    const athena = text.events.map((event) => athenaRecord(event.raw));

    for (const records of [athena, athena.map(camelCased)]) {
      const lines = records.map((record) => JSON.stringify(record)).join('\n');
      expect(detectFormat(Buffer.from(lines), 'alb.json')?.id).toBe('aws.elb');
      const json = await ingestText(elb, lines);

      expect(json.rejected).toEqual([]);
      expect(json.events.map(comparable)).toEqual(text.events.map(comparable));
      expect(json.events[0]?.raw).toEqual(records[0]);
    }
  });

  it('reads Athena Classic Load Balancer columns', async () => {
    const record = {
      timestamp: '2015-05-13T23:39:43.945958Z',
      elb_name: 'my-loadbalancer',
      request_ip: '192.168.131.39',
      request_port: 2817,
      backend_ip: '10.0.0.1',
      backend_port: 80,
      request_processing_time: 0.000073,
      backend_processing_time: 0.001048,
      client_response_time: 0.000057,
      elb_response_code: '503',
      backend_response_code: '-',
      received_bytes: 0,
      sent_bytes: 29,
      request_verb: 'GET',
      url: 'http://www.example.com:80/',
      protocol: 'HTTP/1.1',
      user_agent: 'curl/7.38.0',
      ssl_cipher: '-',
      ssl_protocol: '-',
    };
    const { events, rejected } = await ingestText(elb, JSON.stringify([record]));

    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      time: '2015-05-13T23:39:43.945Z',
      activity: 'Get',
      status: 'failure',
      status_detail: '503',
      src: { ip: '192.168.131.39', port: 2817, bytes: 0 },
      dst: { ip: '10.0.0.1', port: 80, bytes: 29, domain: 'www.example.com' },
      resources: [{ uid: 'my-loadbalancer', type: 'AWS::ElasticLoadBalancing::LoadBalancer' }],
    });
  });

  it('rejects an object without load balancer fields', async () => {
    const { events, rejected } = await ingestText(elb, '{"elb_status_code": 200}\n');

    expect(events).toEqual([]);
    expect(rejected.map((entry) => entry.code)).toEqual(['not_elb']);
  });
});
