/**
 * API calls people make in the benign background: console sign-ins with MFA, console reads,
 * the occasional AccessDenied, and a developer's CLI use.
 */
import { ACCOUNT_ID, HOME_REGIONS, type HumanUser } from './environment.ts';
import { iamUserConsole, iamUserSignIn, iamUserWithKey, type UserIdentity } from './identity.ts';
import { KEY_ALPHABET, type Random } from './random.ts';
import { type ApiCall, cloudTrailTime } from './record.ts';

export const BROWSER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/124.0.0.0 Safari/537.36';
/** The developer's own CLI, on a laptop, as the AWS CLI v2 writes its user agent. */
export const DEVELOPER_CLI_AGENT =
  'aws-cli/2.13.25 Python/3.11.5 Darwin/23.1.0 exe/x86_64 prompt/off command/';

/** A signed-in console session: who, from where, with which temporary key. */
export interface ConsoleSession {
  identity: UserIdentity;
  ip: string;
  arn: string;
}

/** Draws a temporary (`ASIA…`) access key id. */
export function sessionKey(rng: Random): string {
  return `ASIA${rng.chars(16, KEY_ALPHABET)}`;
}

/** Builds a successful MFA console sign-in and the session it opens. */
export function consoleSignIn(
  rng: Random,
  user: HumanUser,
  time: number,
): { call: ApiCall; session: ConsoleSession } {
  const call: ApiCall = {
    time,
    identity: iamUserSignIn(user.name, user.principalId),
    source: 'signin.amazonaws.com',
    name: 'ConsoleLogin',
    region: 'us-east-1',
    ip: user.officeIp,
    userAgent: BROWSER_AGENT,
    readOnly: false,
    response: { ConsoleLogin: 'Success' },
    additional: {
      LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs&isauthcode=true',
      MobileVersion: 'No',
      MFAIdentifier: `arn:aws:iam::${ACCOUNT_ID}:mfa/${user.name}`,
      MFAUsed: 'Yes',
    },
    eventType: 'AwsConsoleSignIn',
  };
  const identity = iamUserConsole(
    user.name,
    user.principalId,
    sessionKey(rng),
    cloudTrailTime(time),
    true,
  );
  return { call, session: { identity, ip: user.officeIp, arn: String(identity.arn) } };
}

/** Read-only calls the console makes while someone looks around. */
const CONSOLE_READS: readonly [string, string, Record<string, unknown> | null][] = [
  ['ec2.amazonaws.com', 'DescribeInstances', { filterSet: {}, maxResults: 50 }],
  ['ec2.amazonaws.com', 'DescribeSecurityGroups', { maxResults: 1000 }],
  ['ec2.amazonaws.com', 'DescribeVpcs', { filterSet: {} }],
  ['monitoring.amazonaws.com', 'GetMetricData', null],
  ['logs.amazonaws.com', 'DescribeLogGroups', { limit: 50 }],
  ['logs.amazonaws.com', 'FilterLogEvents', { logGroupName: '/ecs/storefront', limit: 100 }],
  ['cloudformation.amazonaws.com', 'DescribeStacks', null],
  ['rds.amazonaws.com', 'DescribeDBInstances', null],
  ['lambda.amazonaws.com', 'ListFunctions20150331', null],
  ['s3.amazonaws.com', 'ListBuckets', { Host: 's3.amazonaws.com' }],
  ['cloudwatch.amazonaws.com', 'DescribeAlarms', { maxRecords: 100 }],
];

/** Builds one console read; about one in fifty is an AccessDenied on an unusual page. */
export function consoleRead(rng: Random, session: ConsoleSession, time: number): ApiCall {
  const region = rng.chance(0.8) ? 'us-east-1' : rng.pick(HOME_REGIONS);
  if (rng.chance(0.02)) return consoleDenied(rng, session, time, region);

  const [source, name, request] = rng.pick(CONSOLE_READS);
  return {
    time,
    identity: session.identity,
    source,
    name,
    region: source === 's3.amazonaws.com' ? 'us-east-1' : region,
    ip: session.ip,
    userAgent: BROWSER_AGENT,
    readOnly: true,
    request,
    fromConsole: true,
  };
}

const DENIED_READS: readonly [string, string, string][] = [
  ['rds.amazonaws.com', 'DescribeDBClusters', 'rds:DescribeDBClusters'],
  ['ce.amazonaws.com', 'GetCostAndUsage', 'ce:GetCostAndUsage'],
  ['kms.amazonaws.com', 'ListAliases', 'kms:ListAliases'],
];

function consoleDenied(
  rng: Random,
  session: ConsoleSession,
  time: number,
  region: string,
): ApiCall {
  const [source, name, action] = rng.pick(DENIED_READS);
  return {
    time,
    identity: session.identity,
    source,
    name,
    region,
    ip: session.ip,
    userAgent: BROWSER_AGENT,
    readOnly: true,
    error: {
      code: 'AccessDenied',
      message:
        `User: ${session.arn} is not authorized to perform: ${action} ` +
        `because no identity-based policy allows the ${action} action`,
    },
    fromConsole: true,
  };
}

const CLI_READS: readonly [string, string, string, Record<string, unknown> | null][] = [
  ['sts.amazonaws.com', 'GetCallerIdentity', 'sts.get-caller-identity', null],
  ['s3.amazonaws.com', 'ListBuckets', 's3.ls', { Host: 's3.amazonaws.com' }],
  ['cloudformation.amazonaws.com', 'DescribeStacks', 'cloudformation.describe-stacks', null],
  [
    'logs.amazonaws.com',
    'FilterLogEvents',
    'logs.filter-log-events',
    { logGroupName: '/ecs/storefront', filterPattern: 'ERROR' },
  ],
];

/** Builds a read the developer makes with their long-term key from the office CLI. */
export function developerCliRead(rng: Random, user: HumanUser, time: number): ApiCall {
  const [source, name, command, request] = rng.pick(CLI_READS);
  return {
    time,
    identity: iamUserWithKey(user.name, user.principalId, user.accessKeyId ?? ''),
    source,
    name,
    region: 'us-east-1',
    ip: user.officeIp,
    userAgent: `${DEVELOPER_CLI_AGENT}${command}`,
    readOnly: true,
    request,
  };
}
