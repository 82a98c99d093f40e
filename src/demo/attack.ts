/**
 * The intrusion inside the demo scenario: a developer's leaked long-term key used at night from a
 * new address, then discovery, a backdoor user, privilege escalation, defence impairment, secret
 * theft, data collection and exfiltration, and GPU instances started in an unused region.
 */

import {
  collectionCalls,
  credentialTheftCalls,
  defenseImpairmentCalls,
  exfiltrationCalls,
  gpuLaunchCalls,
} from './attack-actions.ts';
import {
  ALL_REGIONS,
  ATTACKER_IP,
  ATTACKER_IP_2,
  COMPROMISED_USER,
  HUMANS,
  userArn,
} from './environment.ts';
import { iamUserSignIn, iamUserWithKey } from './identity.ts';
import { callBy, denied, type Operator } from './operator.ts';
import type { Random } from './random.ts';
import { KEY_ALPHABET } from './random.ts';
import type { ApiCall } from './record.ts';

/** One step of the intrusion and the calls it made, in time order. */
export interface PlannedStep {
  step: string;
  /** MITRE ATT&CK tactic, in the lower-case hyphenated form Sigma tags use. */
  tactic: string;
  calls: ApiCall[];
}

/** The attacker's CLI, as the AWS CLI v2 writes its user agent; the command is appended. */
export const ATTACKER_CLI_AGENT =
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2024 prompt/off command/';
/** The attacker's scripts, as Boto3 writes its user agent. */
export const ATTACKER_SDK_AGENT =
  'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 ' +
  'lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69';

export const BACKDOOR_USER = 'svc-backup-sync';

/** Plans the intrusion starting at `start` (epoch ms). */
export function attackSteps(rng: Random, start: number): PlannedStep[] {
  const clock = { now: start };
  const dana = HUMANS.find((user) => user.name === COMPROMISED_USER)!;
  const leaked: Operator = {
    identity: iamUserWithKey(dana.name, dana.principalId, dana.accessKeyId ?? ''),
    arn: userArn(dana.name),
    ip: ATTACKER_IP,
    agent: (command) => ATTACKER_CLI_AGENT + command,
    clock,
    rng,
  };
  const backdoorKey = `AKIA${rng.chars(16, KEY_ALPHABET)}`;
  const backdoorId = `AIDA${rng.chars(17, KEY_ALPHABET)}`;
  const backdoor: Operator = {
    identity: iamUserWithKey(BACKDOOR_USER, backdoorId, backdoorKey),
    arn: userArn(BACKDOOR_USER),
    ip: ATTACKER_IP_2,
    agent: () => ATTACKER_SDK_AGENT,
    clock,
    rng,
  };

  const steps: PlannedStep[] = [
    {
      step: 'leaked key used from a new address',
      tactic: 'initial-access',
      calls: [
        callBy(leaked, 'sts.get-caller-identity', {
          source: 'sts.amazonaws.com',
          name: 'GetCallerIdentity',
          region: 'us-east-1',
          readOnly: true,
        }),
      ],
    },
  ];
  clock.now += rng.int(40_000, 90_000);
  steps.push({ step: 'account discovery', tactic: 'discovery', calls: discoveryCalls(leaked) });
  clock.now += rng.int(120_000, 300_000);
  steps.push({
    step: 'backdoor user created',
    tactic: 'persistence',
    calls: persistenceCalls(leaked, backdoorKey, backdoorId),
  });
  clock.now += rng.int(30_000, 60_000);
  steps.push({
    step: 'administrator policy attached',
    tactic: 'privilege-escalation',
    calls: [
      callBy(leaked, 'iam.attach-user-policy', {
        source: 'iam.amazonaws.com',
        name: 'AttachUserPolicy',
        region: 'us-east-1',
        readOnly: false,
        request: {
          userName: BACKDOOR_USER,
          policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        },
      }),
    ],
  });
  clock.now += rng.int(300_000, 500_000);
  steps.push({
    step: 'logging and detection disabled',
    tactic: 'defense-impairment',
    calls: defenseImpairmentCalls(backdoor),
  });
  clock.now += rng.int(200_000, 400_000);
  steps.push({
    step: 'secrets read in bulk',
    tactic: 'credential-access',
    calls: credentialTheftCalls(backdoor),
  });
  clock.now += rng.int(300_000, 600_000);
  steps.push({
    step: 'customer exports downloaded',
    tactic: 'collection',
    calls: collectionCalls(backdoor),
  });
  clock.now += rng.int(120_000, 300_000);
  steps.push({
    step: 'bucket made public and snapshot shared',
    tactic: 'exfiltration',
    calls: exfiltrationCalls(backdoor),
  });
  clock.now += rng.int(300_000, 600_000);
  steps.push({
    step: 'GPU instances started in an unused region',
    tactic: 'impact',
    calls: gpuLaunchCalls(backdoor),
  });

  return steps;
}

const DENIED_PROBES: readonly [string, string, string, string, string][] = [
  [
    'organizations.amazonaws.com',
    'DescribeOrganization',
    'organizations:DescribeOrganization',
    'organizations.describe-organization',
    'AccessDeniedException',
  ],
  [
    'organizations.amazonaws.com',
    'ListAccounts',
    'organizations:ListAccounts',
    'organizations.list-accounts',
    'AccessDeniedException',
  ],
  [
    'account.amazonaws.com',
    'GetContactInformation',
    'account:GetContactInformation',
    'account.get-contact-information',
    'AccessDeniedException',
  ],
  [
    'sso.amazonaws.com',
    'ListInstances',
    'sso:ListInstances',
    'sso-admin.list-instances',
    'AccessDeniedException',
  ],
];

function discoveryCalls(op: Operator): ApiCall[] {
  const iam = (name: string, command: string): ApiCall =>
    callBy(op, command, {
      source: 'iam.amazonaws.com',
      name,
      region: 'us-east-1',
      readOnly: true,
      request:
        name === 'GetAccountAuthorizationDetails'
          ? { filter: ['User', 'Role', 'Group', 'LocalManagedPolicy'] }
          : null,
    });
  const calls = [
    iam('ListUsers', 'iam.list-users'),
    iam('ListRoles', 'iam.list-roles'),
    callBy(op, 's3.ls', {
      source: 's3.amazonaws.com',
      name: 'ListBuckets',
      region: 'us-east-1',
      readOnly: true,
      request: { Host: 's3.amazonaws.com' },
    }),
    iam('GetAccountAuthorizationDetails', 'iam.get-account-authorization-details'),
  ];
  for (const region of ALL_REGIONS) {
    calls.push(
      callBy(op, 'ec2.describe-instances', {
        source: 'ec2.amazonaws.com',
        name: 'DescribeInstances',
        region,
        readOnly: true,
        request: { instancesSet: {}, filterSet: {} },
      }),
    );
  }
  for (const [source, name, action, command, code] of DENIED_PROBES) {
    calls.push(
      callBy(op, command, {
        source,
        name,
        region: 'us-east-1',
        readOnly: true,
        error: denied(op.arn, action, code),
      }),
    );
  }
  // The developer's policy has no RDS or Lambda rights, so the sweep fails region after region.
  for (const region of ALL_REGIONS.slice(0, 6)) {
    calls.push(
      callBy(op, 'rds.describe-db-clusters', {
        source: 'rds.amazonaws.com',
        name: 'DescribeDBClusters',
        region,
        readOnly: true,
        error: denied(op.arn, 'rds:DescribeDBClusters'),
      }),
    );
    calls.push(
      callBy(op, 'lambda.list-functions', {
        source: 'lambda.amazonaws.com',
        name: 'ListFunctions20150331',
        region,
        readOnly: true,
        error: denied(op.arn, 'lambda:ListFunctions'),
      }),
    );
  }
  return calls;
}

function persistenceCalls(op: Operator, key: string, userId: string): ApiCall[] {
  const created = () => new Date(op.clock.now).toUTCString();
  const calls = [
    callBy(op, 'iam.create-user', {
      source: 'iam.amazonaws.com',
      name: 'CreateUser',
      region: 'us-east-1',
      readOnly: false,
      request: { userName: BACKDOOR_USER },
      response: {
        user: {
          path: '/',
          userName: BACKDOOR_USER,
          userId,
          arn: userArn(BACKDOOR_USER),
          createDate: created(),
        },
      },
    }),
    callBy(op, 'iam.create-access-key', {
      source: 'iam.amazonaws.com',
      name: 'CreateAccessKey',
      region: 'us-east-1',
      readOnly: false,
      request: { userName: BACKDOOR_USER },
      response: {
        accessKey: {
          userName: BACKDOOR_USER,
          accessKeyId: key,
          status: 'Active',
          createDate: created(),
        },
      },
    }),
    callBy(op, 'iam.create-login-profile', {
      source: 'iam.amazonaws.com',
      name: 'CreateLoginProfile',
      region: 'us-east-1',
      readOnly: false,
      request: { userName: BACKDOOR_USER, passwordResetRequired: false },
      response: {
        loginProfile: {
          userName: BACKDOOR_USER,
          createDate: created(),
          passwordResetRequired: false,
        },
      },
    }),
  ];
  op.clock.now += op.rng.int(60_000, 180_000);
  calls.push({
    time: op.clock.now,
    identity: iamUserSignIn(BACKDOOR_USER, userId),
    source: 'signin.amazonaws.com',
    name: 'ConsoleLogin',
    region: 'us-east-1',
    ip: ATTACKER_IP_2,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0',
    readOnly: false,
    response: { ConsoleLogin: 'Success' },
    additional: {
      LoginTo: 'https://console.aws.amazon.com/console/home',
      MobileVersion: 'No',
      MFAUsed: 'No',
    },
    eventType: 'AwsConsoleSignIn',
  });
  op.clock.now += op.rng.int(5_000, 20_000);
  return calls;
}
