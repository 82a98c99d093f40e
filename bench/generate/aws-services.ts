/**
 * Generators of AWS service logs: CloudTrail delivery files (the demo's benign stream),
 * GuardDuty findings as `get-findings` prints them, RDS for PostgreSQL error logs,
 * CloudWatch Logs `filter-log-events` output and S3 honey bucket alert exports.
 */
import { generateBenignRecords } from '../../src/demo/benign-stream.ts';
import {
  bsdTime,
  Clock,
  type FormatGenerator,
  iso,
  isoSeconds,
  jsonList,
  lines,
  privateAddresses,
  publicAddresses,
  Random,
  skewedPick,
  userNames,
} from './common.ts';

const ACCOUNT = '123456789012';

function* cloudTrailItems(count: number, seed: number): Generator<string> {
  for (const record of generateBenignRecords({ count, seed })) yield JSON.stringify(record);
}

export const cloudTrailGenerator: FormatGenerator = {
  format: 'aws.cloudtrail',
  fileName: '111122223333_CloudTrail_us-east-1_20240513T0000Z_Ab12Cd34Ef56Gh78.json',
  pieces: (count, seed) => jsonList('{"Records":[', cloudTrailItems(count, seed), ']}\n'),
};

const FINDING_TYPES: [string, number, string][] = [
  ['Recon:EC2/PortProbeUnprotectedPort', 2, 'Unprotected port on EC2 instance is being probed.'],
  ['UnauthorizedAccess:EC2/SSHBruteForce', 2, 'SSH brute force attacks against an EC2 instance.'],
  ['Recon:IAMUser/MaliciousIPCaller', 5, 'API called from a known malicious IP address.'],
  ['CryptoCurrency:EC2/BitcoinTool.B!DNS', 8, 'EC2 instance queried a domain of bitcoin activity.'],
  ['Policy:IAMUser/RootCredentialUsage', 2, 'API was invoked using root credentials.'],
  ['Discovery:S3/AnomalousBehavior', 5, 'An IAM entity invoked an S3 API in a suspicious way.'],
];

function* findingItems(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 60_000);
  const detector = random.hex(32);
  const instances = Array.from({ length: 40 }, () => `i-0${random.hex(16)}`);
  const callers = publicAddresses(random, 300);
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const [type, severity, title] = skewedPick(random, FINDING_TYPES);
    const id = random.hex(32);
    const first = iso(ms - random.int(0, 3_600_000));
    yield JSON.stringify({
      schemaVersion: '2.0',
      accountId: ACCOUNT,
      region: 'us-east-1',
      partition: 'aws',
      arn: `arn:aws:guardduty:us-east-1:${ACCOUNT}:detector/${detector}/finding/${id}`,
      id,
      type,
      severity: severity + random.int(0, 9) / 10,
      title,
      description: `${title} Source ${random.pick(callers)}.`,
      createdAt: iso(ms),
      updatedAt: iso(ms),
      resource: {
        resourceType: 'Instance',
        instanceDetails: { instanceId: skewedPick(random, instances), instanceType: 't3.large' },
      },
      service: {
        serviceName: 'guardduty',
        detectorId: detector,
        action: {
          actionType: 'NETWORK_CONNECTION',
          networkConnectionAction: {
            connectionDirection: 'INBOUND',
            protocol: 'TCP',
            blocked: false,
            remoteIpDetails: { ipAddressV4: skewedPick(random, callers) },
            localPortDetails: { port: random.pick([22, 80, 443, 3389]) },
          },
        },
        eventFirstSeen: first,
        eventLastSeen: iso(ms),
        archived: false,
        count: random.int(1, 400),
      },
    });
  }
}

export const guardDutyGenerator: FormatGenerator = {
  format: 'aws.guardduty',
  fileName: 'guardduty-findings.json',
  pieces: (count, seed) => jsonList('{"Findings":[', findingItems(count, seed), ']}\n'),
};

const STATEMENTS = [
  'SELECT * FROM orders WHERE customer_id = $1',
  'UPDATE carts SET updated_at = now() WHERE id = $1',
  'INSERT INTO events (kind, payload) VALUES ($1, $2)',
  'SELECT count(*) FROM sessions WHERE expires_at > now()',
];

/** Draws one PostgreSQL log line with the `%t:%r:%u@%d:[%p]:` prefix that RDS sets. */
function postgresLine(random: Random, ms: number, clients: string[], users: string[]): string {
  const time = `${iso(ms).slice(0, 19).replace('T', ' ')} UTC`;
  const client = `${skewedPick(random, clients)}(${random.int(32768, 60999)})`;
  const user = skewedPick(random, users);
  const pid = random.int(1000, 30000);
  const prefix = `${time}:${client}:${user}@shop:[${pid}]:`;
  const kind = random.next();
  if (kind < 0.25)
    return `${prefix}LOG:  connection received: host=${client.split('(')[0]} port=${random.int(32768, 60999)}`;
  if (kind < 0.5)
    return `${prefix}LOG:  connection authorized: user=${user} database=shop SSL enabled`;
  if (kind < 0.55) return `${prefix}FATAL:  password authentication failed for user "${user}"`;
  if (kind < 0.7)
    return `${prefix}LOG:  disconnection: session time: 0:00:0${random.int(0, 9)}.${random.int(100, 999)} user=${user} database=shop host=${client.split('(')[0]}`;
  if (kind < 0.95)
    return `${prefix}LOG:  duration: ${random.int(1, 5000)}.${random.int(100, 999)} ms  statement: ${random.pick(STATEMENTS)}`;
  return `${time}::@:[${random.int(300, 500)}]:LOG:  checkpoint starting: time`;
}

function* postgresLines(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 200);
  const clients = [...privateAddresses(random, 30, 20), ...publicAddresses(random, 20)];
  const users = ['app', 'app', 'reporting', 'admin', 'migrator'];
  for (let i = 0; i < count; i++) yield postgresLine(random, clock.tick(), clients, users);
}

export const rdsGenerator: FormatGenerator = {
  format: 'aws.rds',
  fileName: 'postgresql.log.2024-05-13-00',
  pieces: (count, seed) => lines(postgresLines(count, seed)),
};

/** Syslog lines of the CloudWatch agent and Lambda runtime lines, as log events. */
function* cloudWatchItems(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 100);
  const instances = Array.from({ length: 30 }, () => `i-0${random.hex(16)}`);
  const users = userNames(random, 20);
  const peers = publicAddresses(random, 500);
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const lambda = random.chance(0.5);
    const stream = lambda ? `2024/05/13/[$LATEST]${random.hex(32)}` : skewedPick(random, instances);
    const message = lambda
      ? `${random.pick(['START', 'END', 'REPORT'])} RequestId: ${random.uuid()} Version: $LATEST`
      : `${bsdTime(ms)} ip-10-20-1-5 sshd[${random.int(900, 30000)}]: Accepted publickey for ${skewedPick(random, users)} from ${skewedPick(random, peers)} port ${random.int(32768, 60999)} ssh2`;
    yield JSON.stringify({
      logStreamName: stream,
      timestamp: ms,
      message,
      ingestionTime: ms + random.int(200, 3000),
      eventId: `${random.int(10000, 99999)}${random.hex(20)}`,
    });
  }
}

export const cloudWatchGenerator: FormatGenerator = {
  format: 'aws.cloudwatch',
  fileName: 'filter-log-events.json',
  pieces: (count, seed) =>
    jsonList('{"events":[', cloudWatchItems(count, seed), '],"searchedLogStreams":[]}\n'),
};

const HONEYBUCKET_HEADER =
  'Event Type,Event Name,Request ID,User ID,Request Parameters,Alert,Event ID,Event DateTime,Alarm DateTime,Source IP,Request User Agent,Repeated Attempts';
const BUCKET_OPERATIONS = ['HeadBucket', 'ListObjects', 'GetObject', 'PutObject'];
const SCANNER_AGENTS = [
  'Boto3/1.17.40 Python/3.6.12 Linux/3.10.0 Botocore/1.20.112',
  'aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12',
  'python-requests/2.31.0',
  'curl/8.5.0',
];

/** Yields the rows of a honey bucket alert export: anonymous scanners probing a decoy bucket. */
function* honeyBucketLines(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 60_000);
  const scanners = publicAddresses(random, 500);
  yield HONEYBUCKET_HEADER;
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const operation = skewedPick(random, BUCKET_OPERATIONS);
    const identity =
      "{'type': 'AWSAccount', 'principalId': '', 'accountId': 'ANONYMOUS_PRINCIPAL'}";
    const key = operation.endsWith('Object') ? `, 'key': 'backup-${random.int(1, 99)}.sql'` : '';
    const parameters = `{'bucketName': 'corp-backups', 'Host': 'corp-backups.s3.amazonaws.com'${key}}`;
    yield [
      'AwsApiCall',
      operation,
      random.hex(16).toUpperCase(),
      `"${identity}"`,
      `"${parameters}"`,
      ` ${i}-${isoSeconds(ms)}`,
      random.uuid(),
      isoSeconds(ms),
      new Date(ms + 240_000).toISOString().replace('Z', '000+00:00'),
      skewedPick(random, scanners),
      skewedPick(random, SCANNER_AGENTS),
      random.int(1, 5),
    ].join(',');
  }
}

export const honeyBucketGenerator: FormatGenerator = {
  format: 'aws.honeybucket',
  fileName: 'AWS_S3_HoneyBucketLogs.csv',
  pieces: (count, seed) => lines(honeyBucketLines(count, seed)),
};
