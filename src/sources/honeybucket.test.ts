import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitCsvLine } from './csv-line.ts';
import { honeyBucket } from './honeybucket.ts';
import { detectFormat } from './index.ts';
import { parsePythonLiteral } from './python-literal.ts';
import { ingestLogFile, ingestText, LOGS } from './test-ingest.ts';

const EXPORT = 'otrf-aws-s3-honeybucket/AWS_S3_HoneyBucketLogs.csv';

describe('S3 honey bucket exports', () => {
  it('are recognised from the header line', () => {
    const head = readFileSync(path.join(LOGS, EXPORT)).subarray(0, 64 * 1024);
    expect(detectFormat(head, 'AWS_S3_HoneyBucketLogs.csv')?.id).toBe('aws.honeybucket');
  });

  it('read every row as a CloudTrail event', async () => {
    const { events, rejected } = await ingestLogFile(honeyBucket, EXPORT);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(301);
    expect(new Set(events.map((event) => event.source))).toEqual(new Set(['aws.cloudtrail']));
    const operations = new Map<string, number>();
    for (const event of events) {
      const name = event.api.operation ?? '';
      operations.set(name, (operations.get(name) ?? 0) + 1);
    }
    expect(Object.fromEntries(operations)).toEqual({
      HeadBucket: 159,
      ListObjects: 138,
      PutObject: 4,
    });
    expect(events[0]).toMatchObject({
      time: '2022-02-18T17:34:57.000Z',
      category: 'storage',
      status: 'success',
      actor: { uid: 'ANONYMOUS_PRINCIPAL' },
      src: { ip: '177.131.167.145' },
      cloud: { provider: 'aws', region: 'eu-west-1' },
      api: { service: 's3.amazonaws.com', request_id: 'E2E91AQVN6DJHZ91' },
      metadata_uid: '283770f5-968d-448d-9328-0b010f4d3696',
    });
    expect(events[0]?.raw).toMatchObject({
      'Event Name': 'ListObjects',
      'Repeated Attempts': '4',
      eventSource: 's3.amazonaws.com',
      userIdentity: { type: 'AWSAccount', principalId: '', accountId: 'ANONYMOUS_PRINCIPAL' },
      requestParameters: { bucketName: 'microsoft-devtest' },
    });
  });

  it('reject rows that are no export rows', async () => {
    const lines = [
      'Event Type,Event Name,Request ID,User ID,Request Parameters,Alert,Event ID,Event DateTime,Alarm DateTime,Source IP,Request User Agent,Repeated Attempts',
      'AwsApiCall,HeadBucket,R1,"{\'type\': \'AWSAccount\'","{}",a,e1,2022-02-18T17:34:57Z,x,192.0.2.1,curl,1',
      "AwsApiCall,HeadBucket,R2,\"{'unclosed': 'x'}\",{},a,e2,2022-02-18T17:34:57Z,x,192.0.2.1,\"curl",
      'AwsApiCall,HeadBucket,R3',
    ];
    const { events, rejected } = await ingestText(honeyBucket, lines.join('\n'));

    expect(events).toEqual([]);
    expect(rejected.map((entry) => entry.code)).toEqual([
      'invalid_user_id',
      'invalid_csv',
      'field_count',
    ]);
  });
});

describe('CSV line splitting', () => {
  it('reads quoted commas and quotes', () => {
    expect(splitCsvLine('a,"b,c","d ""e""",')).toEqual(['a', 'b,c', 'd "e"', '']);
    expect(splitCsvLine('"open')).toBeNull();
  });
});

describe('Python literal reading', () => {
  it('reads dicts, lists and constants', () => {
    expect(parsePythonLiteral("{'a': [1, 2.5, None, True], \"b\": {'c': 'it\\'s'},}")).toEqual({
      a: [1, 2.5, null, true],
      b: { c: "it's" },
    });
  });

  it('keeps large integers as text', () => {
    expect(parsePythonLiteral('12345678901234567890')).toBe('12345678901234567890');
  });

  it('rejects other text without evaluating it', () => {
    expect(parsePythonLiteral("__import__('os')")).toBeUndefined();
    expect(parsePythonLiteral("{'a': 1} trailing")).toBeUndefined();
    expect(parsePythonLiteral('['.repeat(100))).toBeUndefined();
  });

  it('keeps __proto__ as an ordinary key', () => {
    const parsed = parsePythonLiteral("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
  });
});
