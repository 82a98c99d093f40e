/**
 * Generators of AWS network logs: VPC flow logs (version 2 default fields, as delivered to S3
 * with a header line), S3 server access logs, Application Load Balancer access logs and
 * Route 53 Resolver query logs.
 */
import {
  bracketTime,
  Clock,
  type FormatGenerator,
  lines,
  privateAddresses,
  publicAddresses,
  Random,
  START_MS,
  skewedPick,
  USER_AGENTS,
} from './common.ts';

const ACCOUNT = '123456789012';

/** Header of a VPC flow log file with the default (version 2) fields. */
export const FLOW_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/**
 * Name of the `part`th VPC flow log file of account 123456789012 in us-east-1, as delivered to
 * S3 every ten minutes.
 */
export function flowFileName(part: number): string {
  const stamp = new Date(START_MS + part * 600_000).toISOString();
  const time = `${stamp.slice(0, 10).replaceAll('-', '')}T${stamp.slice(11, 13)}${stamp.slice(14, 16)}Z`;
  const hash = part.toString(16).padStart(8, '0');
  return `${ACCOUNT}_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f67890_${time}_${hash}.log`;
}

interface FlowPools {
  enis: string[];
  hosts: string[];
  peers: string[];
}

function flowPools(random: Random): FlowPools {
  const enis = Array.from({ length: 80 }, () => `eni-${random.hex(17)}`);
  return { enis, hosts: privateAddresses(random, 400, 20), peers: publicAddresses(random, 3000) };
}

/** Draws one flow line: web traffic in, calls out, database traffic, DNS or a rejected scan. */
function flowLine(random: Random, pools: FlowPools, endSeconds: number): string {
  const eni = skewedPick(random, pools.enis);
  const host = skewedPick(random, pools.hosts);
  const start = endSeconds - random.int(1, 60);
  const kind = random.next();
  if (kind < 0.01) return `2 ${ACCOUNT} ${eni} - - - - - - - ${start} ${endSeconds} - NODATA`;

  const ephemeral = random.int(32768, 60999);
  let fields: [string, string, number, number, number, string];
  if (kind < 0.4) {
    fields = [skewedPick(random, pools.peers), host, ephemeral, 443, 6, 'ACCEPT'];
  } else if (kind < 0.65) {
    fields = [
      host,
      skewedPick(random, pools.peers),
      ephemeral,
      random.pick([443, 443, 80]),
      6,
      'ACCEPT',
    ];
  } else if (kind < 0.85) {
    const db = skewedPick(random, pools.hosts);
    fields = [host, db, ephemeral, random.pick([5432, 6379, 3306]), 6, 'ACCEPT'];
  } else if (kind < 0.93) {
    fields = [host, '10.20.0.2', ephemeral, 53, 17, 'ACCEPT'];
  } else {
    const scanner = random.pick(pools.peers);
    fields = [scanner, host, ephemeral, random.pick([22, 23, 3389, 445, 8080]), 6, 'REJECT'];
  }
  const [src, dst, srcPort, dstPort, protocol, action] = fields;
  const rejected = action === 'REJECT';
  const packets = rejected ? random.int(1, 3) : random.int(1, 2000);
  const bytes = packets * (rejected ? 44 : random.int(52, 1500));
  return `2 ${ACCOUNT} ${eni} ${src} ${dst} ${srcPort} ${dstPort} ${protocol} ${packets} ${bytes} ${start} ${endSeconds} ${action} OK`;
}

/** Yields `count` flow lines without a header, one minute of traffic for every ten thousand. */
export function* flowLines(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const pools = flowPools(random);
  const clock = new Clock(random, 6);
  for (let i = 0; i < count; i++) {
    yield `${flowLine(random, pools, Math.floor(clock.tick() / 1000))}\n`;
  }
}

/** Yields a VPC flow log file of `count` flow lines after its header line. */
export function* flowLogPieces(count: number, seed: number): Generator<string> {
  yield `${FLOW_HEADER}\n`;
  yield* flowLines(count, seed);
}

export const vpcFlowGenerator: FormatGenerator = {
  format: 'aws.vpcflow',
  fileName: flowFileName(0),
  pieces: flowLogPieces,
};

const S3_ERRORS = new Map([
  [403, 'AccessDenied'],
  [404, 'NoSuchKey'],
]);

const S3_OPERATIONS: [string, string][] = [
  ['REST.GET.OBJECT', 'GET'],
  ['REST.GET.OBJECT', 'GET'],
  ['REST.PUT.OBJECT', 'PUT'],
  ['REST.HEAD.OBJECT', 'HEAD'],
  ['REST.GET.BUCKET', 'GET'],
  ['REST.DELETE.OBJECT', 'DELETE'],
  ['REST.GET.ACL', 'GET'],
];

function* s3AccessLines(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 150);
  const buckets = ['acme-uploads', 'acme-static-assets', 'acme-data-lake', 'acme-backups'];
  const principals = [
    ...Array.from(
      { length: 6 },
      (_, i) => `arn:aws:sts::${ACCOUNT}:assumed-role/app-role-${i}/i-0${random.hex(16)}`,
    ),
    `arn:aws:iam::${ACCOUNT}:user/deploy`,
    '-',
  ];
  const addresses = [...publicAddresses(random, 500), ...privateAddresses(random, 50, 20)];
  const owner = random.hex(64);
  for (let i = 0; i < count; i++) {
    const bucket = skewedPick(random, buckets);
    const [operation, method] = skewedPick(random, S3_OPERATIONS);
    const key = `${random.pick(['images', 'exports', 'logs', 'tmp'])}/${random.int(2020, 2024)}/${random.hex(12)}.${random.pick(['jpg', 'json', 'csv', 'gz'])}`;
    const status = random.chance(0.03) ? 403 : random.chance(0.04) ? 404 : 200;
    const error = S3_ERRORS.get(status) ?? '-';
    const size = method === 'GET' && status === 200 ? random.int(200, 5_000_000) : 0;
    const agent = skewedPick(random, USER_AGENTS);
    yield [
      owner,
      bucket,
      bracketTime(clock.tick()),
      skewedPick(random, addresses),
      skewedPick(random, principals),
      random.hex(16).toUpperCase(),
      operation,
      key,
      `"${method} /${bucket}/${key} HTTP/1.1"`,
      status,
      error,
      size || '-',
      size,
      random.int(5, 900),
      random.int(2, 60),
      '"-"',
      `"${agent}"`,
      '-',
      `${random.chars(76, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}=`,
      'SigV4',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'AuthHeader',
      `${bucket}.s3.us-east-1.amazonaws.com`,
      'TLSv1.2',
      '-',
      '-',
    ].join(' ');
  }
}

export const s3AccessGenerator: FormatGenerator = {
  format: 'aws.s3access',
  fileName: '2024-05-13-00-00-01-3E57427F3EXAMPLE',
  pieces: (count, seed) => lines(s3AccessLines(count, seed)),
};

const PATHS = ['/', '/api/v1/cart', '/api/v1/products', '/login', '/static/app.js', '/health'];

function* albLines(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 40);
  const clients = publicAddresses(random, 2000);
  const targets = privateAddresses(random, 12, 20);
  const group = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/web/73e2d6bc24d8a067`;
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const received = new Date(ms - random.int(1, 900)).toISOString().replace('Z', '000Z');
    const time = new Date(ms).toISOString().replace('Z', '000Z');
    const path = `${skewedPick(random, PATHS)}${random.chance(0.3) ? `?id=${random.int(1, 99999)}` : ''}`;
    const method = random.chance(0.8) ? 'GET' : 'POST';
    const status = random.chance(0.9) ? 200 : random.pick([301, 302, 400, 401, 403, 404, 500, 502]);
    const target = `${random.pick(targets)}:8080`;
    const agent = skewedPick(random, USER_AGENTS);
    yield [
      'https',
      time,
      'app/web-prod/50dc6c495c0c9188',
      `${skewedPick(random, clients)}:${random.int(1024, 65535)}`,
      target,
      '0.000',
      (random.int(1, 800) / 1000).toFixed(3),
      '0.000',
      status,
      status,
      random.int(200, 4000),
      random.int(300, 90_000),
      `"${method} https://shop.example.com:443${path} HTTP/1.1"`,
      `"${agent}"`,
      'ECDHE-RSA-AES128-GCM-SHA256',
      'TLSv1.2',
      group,
      `"Root=1-${Math.floor(ms / 1000).toString(16)}-${random.hex(24)}"`,
      '"shop.example.com"',
      `"arn:aws:acm:us-east-1:${ACCOUNT}:certificate/${random.uuid()}"`,
      0,
      received,
      '"forward"',
      '"-"',
      '"-"',
      `"${target}"`,
      `"${status}"`,
      '"-"',
      '"-"',
    ].join(' ');
  }
}

export const elbGenerator: FormatGenerator = {
  format: 'aws.elb',
  fileName: `${ACCOUNT}_elasticloadbalancing_us-east-1_app.web-prod.50dc6c495c0c9188_20240513T0000Z_10.20.1.5_2a3b4c5d.log`,
  pieces: (count, seed) => lines(albLines(count, seed)),
};

const DOMAINS = [
  'api.stripe.com.',
  'sqs.us-east-1.amazonaws.com.',
  's3.us-east-1.amazonaws.com.',
  'github.com.',
  'registry.npmjs.org.',
  'sts.amazonaws.com.',
  'db.internal.acme.',
  'cache.internal.acme.',
  'updates.example.org.',
  'telemetry.vendor.example.',
];

function* resolverLines(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 30);
  const hosts = privateAddresses(random, 300, 20);
  const instances = Array.from({ length: 60 }, () => `i-0${random.hex(16)}`);
  for (let i = 0; i < count; i++) {
    const name = random.chance(0.02)
      ? `${random.hex(20)}.example.net.`
      : skewedPick(random, DOMAINS);
    const nx = name.endsWith('example.net.');
    const type = random.chance(0.8) ? 'A' : random.pick(['AAAA', 'CNAME', 'TXT']);
    const answers = nx
      ? []
      : [
          {
            Rdata: `${random.int(1, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`,
            Type: 'A',
            Class: 'IN',
          },
        ];
    yield JSON.stringify({
      version: '1.100000',
      account_id: ACCOUNT,
      region: 'us-east-1',
      vpc_id: 'vpc-0abc1234def567890',
      query_timestamp: `${new Date(clock.tick()).toISOString().slice(0, 19)}Z`,
      query_name: name,
      query_type: type,
      query_class: 'IN',
      rcode: nx ? 'NXDOMAIN' : 'NOERROR',
      answers,
      srcaddr: skewedPick(random, hosts),
      srcport: String(random.int(1024, 65535)),
      transport: 'UDP',
      srcids: { instance: skewedPick(random, instances) },
    });
  }
}

export const route53Generator: FormatGenerator = {
  format: 'aws.route53resolver',
  fileName: `${ACCOUNT}_vpcdnsquerylogs_vpc-0abc1234def567890_20240513T0000Z_1a2b3c4d.log`,
  pieces: (count, seed) => lines(resolverLines(count, seed)),
};
