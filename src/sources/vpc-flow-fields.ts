/**
 * Field names of VPC Flow Logs and Transit Gateway Flow Logs, as the AWS documentation ("Flow
 * log records", versions 2 to 8) spells them in custom formats and in the header line of S3
 * delivery files.
 */

/** The default format, version 2: the 14 fields every VPC flow log without a custom format has. */
export const DEFAULT_FIELDS = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const;

const VERSION_3 = [
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
];
const VERSION_4 = ['region', 'az-id', 'sublocation-type', 'sublocation-id'];
const VERSION_5 = ['pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path'];
const VERSION_7 = [
  'ecs-cluster-arn',
  'ecs-cluster-name',
  'ecs-container-instance-arn',
  'ecs-container-instance-id',
  'ecs-container-id',
  'ecs-second-container-id',
  'ecs-service-name',
  'ecs-task-definition-arn',
  'ecs-task-arn',
  'ecs-task-id',
];
const VERSION_8 = ['reject-reason'];

/** The default format of Transit Gateway flow logs (version 6), 36 fields. */
const TRANSIT_GATEWAY_FIELDS = [
  'version',
  'resource-type',
  'account-id',
  'tgw-id',
  'tgw-attachment-id',
  'tgw-src-vpc-account-id',
  'tgw-dst-vpc-account-id',
  'tgw-src-vpc-id',
  'tgw-dst-vpc-id',
  'tgw-src-subnet-id',
  'tgw-dst-subnet-id',
  'tgw-src-eni',
  'tgw-dst-eni',
  'tgw-src-az-id',
  'tgw-dst-az-id',
  'tgw-pair-attachment-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'log-status',
  'type',
  'packets-lost-no-route',
  'packets-lost-blackhole',
  'packets-lost-mtu-exceeded',
  'packets-lost-ttl-expired',
  'tcp-flags',
  'region',
  'flow-direction',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
];

/** Every field of versions 2 to 5 in the documented order. */
const ALL_FIELDS_V5 = [...DEFAULT_FIELDS, ...VERSION_3, ...VERSION_4, ...VERSION_5];
/** Every field of versions 2 to 8 in the documented order. */
const ALL_FIELDS_V8 = [...ALL_FIELDS_V5, ...VERSION_7, ...VERSION_8];

/** Every field name a header line may contain. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  ...ALL_FIELDS_V8,
  ...TRANSIT_GATEWAY_FIELDS,
]);

/**
 * Layouts a line without a header is read with, by its number of fields. CloudWatch Logs and
 * copies of single lines carry no header, so only layouts that AWS documents as a whole can be
 * recognised: the default formats and every field in the documented order.
 */
export const LAYOUTS_BY_COUNT: ReadonlyMap<number, readonly string[]> = new Map<
  number,
  readonly string[]
>([
  [DEFAULT_FIELDS.length, DEFAULT_FIELDS],
  [ALL_FIELDS_V5.length, ALL_FIELDS_V5],
  [TRANSIT_GATEWAY_FIELDS.length, TRANSIT_GATEWAY_FIELDS],
  [ALL_FIELDS_V8.length, ALL_FIELDS_V8],
]);

/** IANA protocol numbers that flow logs commonly carry, with their keyword. */
export const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'icmp'],
  [6, 'tcp'],
  [17, 'udp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp'],
  [132, 'sctp'],
]);
