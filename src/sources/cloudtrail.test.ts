import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Event } from '../core/event.ts';
import { cloudTrail } from './cloudtrail.ts';
import { detectFormat } from './index.ts';
import { isNormalizeError, type NormalizeError, type RecordRejected } from './types.ts';

const LOGS = path.resolve(import.meta.dirname, '../../../shared/data/logs');
const SHA = 'ab'.repeat(32);

interface Outcome {
  events: Event[];
  rejected: (RecordRejected | NormalizeError)[];
}

async function ingest(input: Readable): Promise<Outcome> {
  const outcome: Outcome = { events: [], rejected: [] };
  for await (const result of cloudTrail.records(input)) {
    if (result.kind === 'rejected') {
      outcome.rejected.push(result);
      continue;
    }
    const ref = { sha256: SHA, member: null, record: result.index, offset: result.offset };
    const event = cloudTrail.normalize(result.value, ref);
    if (isNormalizeError(event)) outcome.rejected.push(event);
    else outcome.events.push(event);
  }
  return outcome;
}

function ingestFile(relative: string): Promise<Outcome> {
  return ingest(createReadStream(path.join(LOGS, relative)));
}

function ingestText(text: string | Buffer, chunkSize = 0): Promise<Outcome> {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  const size = chunkSize || bytes.length || 1;
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return ingest(Readable.from(parts));
}

function rejectedCodes(outcome: Outcome): string[] {
  return outcome.rejected.map((rejected) => rejected.code);
}

describe('cloudtrail lookup-events', () => {
  it('names the invoking service as actor', async () => {
    const { events } = await ingestFile('plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl');
    const event = events.find(
      (candidate) => candidate.api.operation === 'SharedSnapshotVolumeCreated',
    );

    expect(event?.actor.uid).toBe('ec2.amazonaws.com');
    expect(event?.actor.name).toBe('ec2.amazonaws.com');
    expect(event?.actor.type).toBe('AWSService');
    expect(event?.actor.account).toBe('012345678901');
    expect(event?.message).not.toContain('unknown principal');
    expect(event?.message.startsWith('ec2.amazonaws.com called ')).toBe(true);
  });

  it('normalizes the plaso jsonl sample', async () => {
    const { events, rejected } = await ingestFile(
      'plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl',
    );

    expect(rejected).toEqual([]);
    expect(events.map((event) => event.time)).toEqual([
      '2022-02-07T22:23:37.000Z',
      '2022-02-07T22:23:18.000Z',
      '2022-02-07T22:23:03.000Z',
      '2022-02-07T22:19:07.000Z',
      '2022-02-07T22:19:05.000Z',
      '2022-02-07T22:19:04.000Z',
    ]);
    const user = 'arn:aws:iam::012345678901:user/fakeusername';
    for (const index of [0, 1, 2, 4, 5]) {
      const event = events[index] as Event;
      expect(event.actor.uid).toBe(user);
      expect(event.actor.name).toBe('fakeusername');
      expect(event.actor.access_key).toBe('0123456789ABCDEFGHIJ');
      expect(event.src.ip).toBe('1.2.3.4');
    }
    expect(events[3]?.src).toMatchObject({ ip: null, domain: 'ec2.amazonaws.com' });
    expect(events[0]?.raw.eventName).toBe('DescribeInstances');
    expect(events[0]?.uid).toBe(`${SHA.slice(0, 16)}:0`);
    expect(events[1]?.resources).toEqual([
      { uid: 'i-01234567890123456', type: 'AWS::EC2::Instance' },
    ]);
    expect(events[5]?.category).toBe('network');
    expect(events[1]?.activity).toBe('Delete');
  });

  it('reads an Events document', async () => {
    const lines = readFileSync(
      path.join(LOGS, 'plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl'),
      'utf8',
    );
    const events = lines
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const { events: read, rejected } = await ingestText(
      JSON.stringify({ Events: events }, null, 2),
    );

    expect(rejected).toEqual([]);
    expect(read).toHaveLength(6);
  });

  it('rejects a CloudTrailEvent that is not JSON', async () => {
    const outcome = await ingestText('{"EventId":"1","CloudTrailEvent":"{not json"}\n');

    expect(rejectedCodes(outcome)).toEqual(['invalid_cloudtrail_event']);
  });
});

describe('cloudtrail otrf exfiltration', () => {
  it('reads shipper and Records shapes alike', async () => {
    const shipped = await ingestFile(
      'otrf-aws-ec2-proxy-s3-exfiltration/ec2_proxy_s3_exfiltration_2020-09-14011940.json',
    );
    const delivered = await ingestFile(
      'otrf-aws-ec2-proxy-s3-exfiltration/derived_cloudtrail_records.json',
    );

    expect(shipped.rejected).toEqual([]);
    expect(delivered.rejected).toEqual([]);
    expect(shipped.events).toHaveLength(103);
    expect(delivered.events).toHaveLength(103);
    const ids = (outcome: Outcome) => outcome.events.map((event) => event.raw.eventID).sort();
    expect(ids(shipped)).toEqual(ids(delivered));
    expect(shipped.events[0]?.raw['@timestamp']).toBe('2020-09-14T00:44:23.000Z');
    expect(shipped.events[0]?.time).toBe('2020-09-14T00:44:23.000Z');
  });

  it('stitches assumed-role sessions', async () => {
    const { events } = await ingestFile(
      'otrf-aws-ec2-proxy-s3-exfiltration/derived_cloudtrail_records.json',
    );
    const assumed = events.filter((event) => event.actor.type === 'AssumedRole');

    expect(assumed.length).toBeGreaterThan(0);
    for (const event of assumed) {
      expect(event.actor.session).toBe(event.actor.uid);
      expect(event.actor.uid).toMatch(/^arn:aws:sts::\d+:assumed-role\//);
      expect(event.actor.name).not.toBeNull();
    }
  });
});

/** The fields of Elastic's expected output that a CloudTrail record itself determines. */
interface ElasticCloudTrailExpected {
  '@timestamp': string;
  source: { ip: string };
  event: { action: string; provider: string; outcome: string; id: string };
  cloud: { account: { id: string }; region: string };
  user_agent: { original: string };
  aws: { cloudtrail: { error_message?: string; user_identity: { arn: string } } };
}

describe('cloudtrail elastic console login', () => {
  it('agrees with Elastic on time, address, action and outcome', async () => {
    const samples = path.join(
      LOGS,
      'elastic-integrations-pipeline-samples/packages/aws/data_stream/cloudtrail/_dev/test/pipeline',
    );
    const expectedFile = path.join(samples, 'test-console-login-json.log-expected.json');
    const { expected } = JSON.parse(readFileSync(expectedFile, 'utf8')) as {
      expected: ElasticCloudTrailExpected[];
    };
    const { events, rejected } = await ingestFile(
      'elastic-integrations-pipeline-samples/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-console-login-json.log',
    );

    // GeoIP, user agent parsing and ingestion times are Elastic's enrichment, so they are not
    // compared; CloudTrail records carry no ports, bytes or packets.
    expect(rejected).toEqual([]);
    expect(events).toHaveLength(expected.length);
    expected.forEach((want, i) => {
      const event = events[i];
      expect(event?.time).toBe(want['@timestamp']);
      expect(event?.src.ip).toBe(want.source.ip);
      expect(event?.api.operation).toBe(want.event.action);
      expect(event?.api.service).toBe(want.event.provider);
      expect(event?.status).toBe(want.event.outcome);
      expect(event?.status_detail).toBe(want.aws.cloudtrail.error_message ?? null);
      expect(event?.metadata_uid).toBe(want.event.id);
      expect(event?.cloud.account).toBe(want.cloud.account.id);
      expect(event?.cloud.region).toBe(want.cloud.region);
      expect(event?.user_agent).toBe(want.user_agent.original);
      expect(event?.actor.uid).toBe(want.aws.cloudtrail.user_identity.arn);
    });
  });

  it('maps sign-ins to authentication', async () => {
    const { events, rejected } = await ingestFile(
      'elastic-integrations-pipeline-samples/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-console-login-json.log',
    );

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(3);
    expect(events.map((event) => event.status)).toEqual(['success', 'failure', 'failure']);
    for (const event of events) {
      expect(event.class_uid).toBe(3002);
      expect(event.activity).toBe('Logon');
      expect(event.category).toBe('identity');
      expect(event.actor.mfa).toBe(false);
    }
    expect(events[1]?.message).toBe(
      'arn:aws:iam::111122223333:user/JaneDoe called signin:ConsoleLogin from 89.160.20.156 (Failed authentication)',
    );
    expect(events[2]?.actor.name).toBe('MySessionName');
  });

  it('unwraps message lines', async () => {
    const line = readFileSync(
      path.join(
        LOGS,
        'elastic-integrations-pipeline-samples/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-console-login-json.log',
      ),
      'utf8',
    ).split('\n')[0] as string;
    const wrapped = JSON.stringify({ '@timestamp': '2014-07-16T15:49:27.000Z', message: line });
    const { events } = await ingestText(`${wrapped}\n`);

    expect(events[0]?.actor.name).toBe('JohnDoe');
    expect(events[0]?.raw.eventName).toBe('ConsoleLogin');
  });
});

describe('cloudtrail panther tests', () => {
  function pantherTests(): unknown[] {
    const root = path.join(LOGS, 'panther-analysis-rule-tests/rules_yml');
    const logs: unknown[] = [];
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' });
    for (const file of files.filter((name) => name.endsWith('.yml'))) {
      const rule = parseYaml(readFileSync(path.join(root, file), 'utf8')) as Record<
        string,
        unknown
      >;
      const types = [rule.LogTypes, rule.LogType].flat().filter(Boolean);
      if (!types.includes('AWS.CloudTrail')) continue;
      for (const test of (rule.Tests ?? []) as { Log?: Record<string, unknown> }[]) {
        const logType = test.Log?.p_log_type;
        if (test.Log === undefined) continue;
        if (types.length > 1 && logType !== 'AWS.CloudTrail') continue;
        logs.push(test.Log);
      }
    }
    return logs;
  }

  it('normalizes or rejects every rule test event', async () => {
    const logs = pantherTests();
    const outcome = await ingestText(logs.map((log) => JSON.stringify(log)).join('\n'));
    const counts: Record<string, number> = {};
    for (const code of rejectedCodes(outcome)) counts[code] = (counts[code] ?? 0) + 1;

    expect(logs.length).toBe(COUNTS.tests);
    expect(outcome.events.length + outcome.rejected.length).toBe(logs.length);
    expect(outcome.events.length).toBe(COUNTS.events);
    expect(counts).toEqual(COUNTS.rejected);
  });

  it('reads the compromised-root scenario', async () => {
    const attacker = await ingestFile(
      'panther-test-scenarios/compromised-root-creds/native/attacker_cloudtrail.json',
    );
    const victim = await ingestFile(
      'panther-test-scenarios/compromised-root-creds/native/victim_cloudtrail.json',
    );

    expect(attacker.rejected).toEqual([]);
    expect(victim.rejected).toEqual([]);
    expect(attacker.events.length + victim.events.length).toBe(16);
    const issued = attacker.events.flatMap((event) => event.resources);
    expect(issued).toContainEqual({ uid: 'AKIASWJJJ66ZZZII4IYY', type: 'AWS::IAM::AccessKey' });
    const ips = new Set(attacker.events.map((event) => event.src.ip));
    expect(ips).toContain('92.55.146.245');
  });
});

// Panther's test events are hand-edited: some lack eventTime or eventName on purpose.
const COUNTS = {
  tests: 475,
  events: 448,
  rejected: { not_cloudtrail: 11, missing_time: 14, invalid_time: 2 },
};

describe('cloudtrail synthetic input', () => {
  const record = (name: string, extra: Record<string, unknown> = {}) => ({
    eventVersion: '1.08',
    eventTime: '2024-03-01T10:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: name,
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/bob', userName: 'bob' },
    sourceIPAddress: '198.51.100.7',
    ...extra,
  });

  it('streams gz Records in tiny chunks alike', async () => {
    const records = Array.from({ length: 40 }, (_, i) => record(`CreateAccessKey${i}`));
    const gz = gzipSync(JSON.stringify({ Records: records }, null, 1));
    const whole = await ingest(Readable.from([gz]).pipe(createGunzip()));

    for (const size of [1, 3, 7]) {
      const parts: Buffer[] = [];
      for (let i = 0; i < gz.length; i += size) parts.push(gz.subarray(i, i + size));
      expect(await ingest(Readable.from(parts).pipe(createGunzip()))).toEqual(whole);
    }
    expect(whole.events).toHaveLength(40);
  });

  it('builds the summary message', async () => {
    const { events } = await ingestText(
      JSON.stringify(record('CreateAccessKey', { errorCode: 'AccessDenied' })),
    );

    expect(events[0]?.message).toBe(
      'arn:aws:iam::1:user/bob called iam:CreateAccessKey from 198.51.100.7 (AccessDenied)',
    );
    expect(events[0]?.status).toBe('failure');
    expect(events[0]?.status_detail).toBe('AccessDenied');
    expect(events[0]?.activity).toBe('Create');
  });

  it('unwraps EventBridge events', async () => {
    const bridge = {
      version: '0',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.iam',
      time: '2024-03-01T10:00:00Z',
      detail: record('DeleteUser', { eventTime: undefined }),
    };
    const { events } = await ingestText(JSON.stringify(bridge));

    expect(events[0]?.api.operation).toBe('DeleteUser');
    expect(events[0]?.time).toBe('2024-03-01T10:00:00.000Z');
  });

  it('rejects records with reasons', async () => {
    const lines = [
      JSON.stringify(record('GetUser', { eventTime: undefined })),
      JSON.stringify(record('GetUser', { eventTime: 'yesterday' })),
      JSON.stringify({ hello: 'world' }),
      '{"broken":',
      '42',
    ];
    const outcome = await ingestText(lines.join('\n'));

    expect(rejectedCodes(outcome)).toEqual([
      'missing_time',
      'invalid_time',
      'not_cloudtrail',
      'invalid_json',
      'not_cloudtrail',
    ]);
  });

  it('sniffs cloudtrail shapes', () => {
    const sniff = (text: string) => cloudTrail.sniff(Buffer.from(text), 'x.json');

    expect(sniff('{"Records":[{"eventVersion":"1.08","eventSource":"s3"')).toBeGreaterThan(0.9);
    expect(sniff('{"EventId":"1","CloudTrailEvent":"{}"}')).toBeGreaterThan(0.8);
    expect(sniff('{"detail-type":"AWS API Call via CloudTrail"}')).toBeGreaterThan(0.8);
    expect(sniff('Jan 1 sshd[1]: eventSource')).toBe(0);
    expect(sniff('{"foo":1}')).toBe(0);
    expect(detectFormat(Buffer.from('{"eventVersion":"1","eventSource":"x"}'), 'a')?.id).toBe(
      'aws.cloudtrail',
    );
    expect(detectFormat(Buffer.from('\x00\x01binary'), 'a')).toBeNull();
  });

  it('sniffs a delivery file padded past the head', () => {
    const head = Buffer.from(`{"Records":[${' '.repeat(64 * 1024 - 12)}`);

    expect(detectFormat(head, 'x.json')?.id).toBe('aws.cloudtrail');
    expect(detectFormat(Buffer.from('{"Records":[] , "x": 1}'), 'x.json')).toBeNull();
  });

  it('sniffs a delivery file whose first field fills the head', () => {
    const head = Buffer.from(`{"Records":[{"requestParameters":{"policy":"${'p'.repeat(70_000)}`);

    expect(detectFormat(head.subarray(0, 64 * 1024), 'x.json')?.id).toBe('aws.cloudtrail');
  });

  it('sniffs sorted lines whose first field fills the head', () => {
    const head = Buffer.from(`{"additionalEventData":"${'d'.repeat(70_000)}`);

    expect(detectFormat(head.subarray(0, 64 * 1024), 'x.jsonl')?.id).toBe('aws.cloudtrail');
  });

  it.each([64, 1_000, 60_000])('sniffs after %i whitespace characters', (count) => {
    const record = '{"Records":[{"eventVersion":"1.08","eventSource":"s3.amazonaws.com"}]}';
    const padding = ' \n'.repeat(count / 2);

    expect(cloudTrail.sniff(Buffer.from(padding + record), 'x.json')).toBeGreaterThan(0.9);
    expect(cloudTrail.sniff(Buffer.from(`\uFEFF${padding}${record}`), 'x.json')).toBeGreaterThan(
      0.9,
    );
    expect(detectFormat(Buffer.from(padding + record), 'a')?.id).toBe('aws.cloudtrail');
  });
});

describe('cloudtrail Lake query results', () => {
  const row = (identity: string) => [
    { eventTime: '2024-03-01 10:00:00.000' },
    { eventsource: 'iam.amazonaws.com' },
    { eventname: 'CreateAccessKey' },
    { sourceipaddress: '198.51.100.7' },
    { useridentity: identity },
  ];
  const arn = 'arn:aws:iam::111122223333:user/alice';

  it('takes the actor from a struct column', async () => {
    const identity = `{type=IAMUser, principalid=AIDAEXAMPLE, arn=${arn}, accountid=111122223333, accesskeyid=AKIAEXAMPLE, username=alice, sessioncontext={attributes={creationdate=null, mfaauthenticated=false}, sourceidentity=null}, invokedby=null}`;
    const { events } = await ingestText(JSON.stringify({ QueryResultRows: [row(identity)] }));

    expect(events[0]?.actor).toMatchObject({
      uid: arn,
      type: 'IAMUser',
      access_key: 'AKIAEXAMPLE',
      account: '111122223333',
    });
    expect(events[0]?.raw).toMatchObject({ userIdentity: identity });
  });

  it('keeps a comma inside an IAM user name', async () => {
    const identity = '{type=IAMUser, arn=arn:aws:iam::1:user/a,b, accesskeyid=AKIACOMMA}';
    const { events } = await ingestText(JSON.stringify({ QueryResultRows: [row(identity)] }));

    expect(events[0]?.actor.uid).toBe('arn:aws:iam::1:user/a,b');
    expect(events[0]?.actor.access_key).toBe('AKIACOMMA');
  });

  it('takes the actor from JSON text', async () => {
    const identity = JSON.stringify({ type: 'Root', arn: 'arn:aws:iam::111122223333:root' });
    const { events } = await ingestText(JSON.stringify({ QueryResultRows: [row(identity)] }));

    expect(events[0]?.actor.type).toBe('Root');
    expect(events[0]?.actor.uid).toBe('arn:aws:iam::111122223333:root');
  });

  it('leaves the actor empty for other text', async () => {
    const { events } = await ingestText(JSON.stringify({ QueryResultRows: [row('alice')] }));

    expect(events).toHaveLength(1);
    expect(events[0]?.actor.uid).toBeNull();
  });
});
