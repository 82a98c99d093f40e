/**
 * API calls machines make in the benign background: CI deployments through a web-identity role,
 * the application's instance role, and AWS services (EC2, Auto Scaling, Config) acting.
 */
import {
  ACCOUNT_ID,
  APP_ROLE,
  APP_SECRET,
  APP_SUBNET_PREFIX,
  ARTIFACTS_BUCKET,
  AUTOSCALING_ROLE,
  CI_ROLE,
  CI_RUNNER_IP,
  CI_SUBJECT,
  CONFIG_ROLE,
  KMS_KEY_ID,
  roleArn,
  STACK_NAME,
  UPLOADS_BUCKET,
  VPC_ENDPOINTS,
} from './environment.ts';
import { sessionKey } from './human-actions.ts';
import { assumedRole, awsService, type UserIdentity, webIdentityUser } from './identity.ts';
import type { Random } from './random.ts';
import { type ApiCall, cloudTrailTime } from './record.ts';

const CI_AGENT =
  'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#';
const SDK_AGENT =
  'aws-sdk-java/2.25.60 Linux/5.10.216-204.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. exe/x86_64 io/sync http/Apache cfg/retry-mode/legacy';

/** A running application instance and the role session its SDK signs with. */
export interface AppInstance {
  id: string;
  region: string;
  ip: string;
  identity: UserIdentity;
}

/** Builds the web-identity exchange and the deployment a CI run performs. */
export function ciDeployment(rng: Random, time: number, create: boolean): ApiCall[] {
  const session = `gha-${rng.int(1_000_000_000, 9_999_999_999)}`;
  const key = sessionKey(rng);
  const identity = assumedRole(CI_ROLE, session, key, cloudTrailTime(time), { webIdentity: true });
  const calls: ApiCall[] = [ciAssume(time, session, key)];
  let t = time + rng.int(2_000, 6_000);
  const step = (
    call: Omit<ApiCall, 'time' | 'identity' | 'ip' | 'region' | 'userAgent'>,
    command: string,
  ) => {
    calls.push({
      ...call,
      time: t,
      identity,
      ip: CI_RUNNER_IP,
      region: 'us-east-1',
      userAgent: CI_AGENT + command,
    });
    t += rng.int(800, 9_000);
  };

  step(
    {
      source: 'cloudformation.amazonaws.com',
      name: 'DescribeStacks',
      readOnly: true,
      request: { stackName: STACK_NAME },
      ...(create
        ? {
            error: {
              code: 'ValidationError',
              message: `Stack with id ${STACK_NAME} does not exist`,
            },
          }
        : {}),
    },
    'cloudformation.describe-stacks',
  );
  const key1 = `storefront/${rng.hex(40)}/template.yaml`;
  step(artifactPut(key1), 's3.cp');
  const stackRequest = {
    stackName: STACK_NAME,
    templateURL: `https://${ARTIFACTS_BUCKET}.s3.amazonaws.com/${key1}`,
    capabilities: ['CAPABILITY_NAMED_IAM'],
  };
  const stackId = `arn:aws:cloudformation:us-east-1:${ACCOUNT_ID}:stack/${STACK_NAME}/0b6f2a40-1c3d-11ef-9c1e-0e8a5f7b3c21`;
  step(
    {
      source: 'cloudformation.amazonaws.com',
      name: create ? 'CreateStack' : 'UpdateStack',
      readOnly: false,
      request: stackRequest,
      response: { stackId },
    },
    create ? 'cloudformation.create-stack' : 'cloudformation.update-stack',
  );
  for (let i = rng.int(4, 9); i > 0; i--) {
    step(
      {
        source: 'cloudformation.amazonaws.com',
        name: 'DescribeStackEvents',
        readOnly: true,
        request: { stackName: STACK_NAME },
      },
      'cloudformation.describe-stack-events',
    );
  }
  return calls;
}

function ciAssume(time: number, session: string, key: string): ApiCall {
  return {
    time,
    identity: webIdentityUser(CI_SUBJECT),
    source: 'sts.amazonaws.com',
    name: 'AssumeRoleWithWebIdentity',
    region: 'us-east-1',
    ip: CI_RUNNER_IP,
    userAgent:
      'aws-sdk-js/3.598.0 ua/2.0 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.15.0 api/sts#3.598.0',
    readOnly: true,
    request: { roleArn: roleArn(CI_ROLE.name), roleSessionName: session, durationSeconds: 3600 },
    response: {
      credentials: {
        accessKeyId: key,
        sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE',
        expiration: new Date(time + 3_600_000).toUTCString(),
      },
      subjectFromWebIdentityToken: CI_SUBJECT,
      assumedRoleUser: {
        assumedRoleId: `${CI_ROLE.roleId}:${session}`,
        arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${CI_ROLE.name}/${session}`,
      },
      provider: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`,
      audience: 'sts.amazonaws.com',
    },
    resources: [{ accountId: ACCOUNT_ID, type: 'AWS::IAM::Role', ARN: roleArn(CI_ROLE.name) }],
  };
}

function artifactPut(
  key: string,
): Omit<ApiCall, 'time' | 'identity' | 'ip' | 'region' | 'userAgent'> {
  return { ...s3Object('PutObject', ARTIFACTS_BUCKET, key, 'us-east-1', 0), readOnly: false };
}

/** Builds an S3 object-level (data) event. */
export function s3Object(
  name: 'GetObject' | 'PutObject',
  bucket: string,
  key: string,
  region: string,
  bytesOut: number,
) {
  const bytesIn = name === 'PutObject' ? 2_048 + ((key.length * 977) % 500_000) : 0;
  return {
    source: 's3.amazonaws.com',
    name,
    readOnly: name === 'GetObject',
    category: 'Data' as const,
    host: `${bucket}.s3.${region}.amazonaws.com`,
    request: { bucketName: bucket, Host: `${bucket}.s3.${region}.amazonaws.com`, key },
    additional: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: bytesIn,
      AuthenticationMethod: 'AuthHeader',
      bytesTransferredOut: bytesOut,
    },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
      { accountId: ACCOUNT_ID, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
    ],
  };
}

/** Starts an application instance: EC2 fetches its role credentials, the app reads its secret. */
export function appStart(
  rng: Random,
  region: string,
  time: number,
): { instance: AppInstance; calls: ApiCall[] } {
  const id = `i-0${rng.hex(16)}`;
  const ip = `${APP_SUBNET_PREFIX}${rng.int(1, 40)}.${rng.int(4, 250)}`;
  const identity = assumedRole(APP_ROLE, id, sessionKey(rng), cloudTrailTime(time));
  const instance = { id, region, ip, identity };
  const assume: ApiCall = {
    time,
    identity: awsService('ec2.amazonaws.com'),
    source: 'sts.amazonaws.com',
    name: 'AssumeRole',
    region,
    ip: 'ec2.amazonaws.com',
    userAgent: 'ec2.amazonaws.com',
    readOnly: true,
    request: { roleArn: roleArn(APP_ROLE.name), roleSessionName: id },
    response: {
      credentials: {
        accessKeyId: String(identity.accessKeyId),
        sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE',
        expiration: new Date(time + 21_600_000).toUTCString(),
      },
    },
    resources: [{ accountId: ACCOUNT_ID, type: 'AWS::IAM::Role', ARN: roleArn(APP_ROLE.name) }],
  };
  const secret: ApiCall = {
    ...appBase(instance, time + rng.int(20_000, 90_000)),
    source: 'secretsmanager.amazonaws.com',
    name: 'GetSecretValue',
    readOnly: true,
    request: { secretId: APP_SECRET },
  };
  return { instance, calls: [assume, secret] };
}

function appBase(instance: AppInstance, time: number) {
  return {
    time,
    identity: instance.identity,
    region: instance.region,
    ip: instance.ip,
    userAgent: SDK_AGENT,
    vpcEndpointId: VPC_ENDPOINTS[instance.region] ?? 'vpce-0000000000000000',
  };
}

/** Builds one unit of application work: an upload read or write, or a KMS decrypt. */
export function appRequest(rng: Random, instance: AppInstance, time: number): ApiCall {
  const roll = rng.next();
  if (roll < 0.3) {
    return {
      ...appBase(instance, time),
      source: 'kms.amazonaws.com',
      name: 'Decrypt',
      readOnly: true,
      request: {
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        encryptionContext: { 'aws:s3:arn': `arn:aws:s3:::${UPLOADS_BUCKET}` },
      },
      resources: [
        {
          accountId: ACCOUNT_ID,
          type: 'AWS::KMS::Key',
          ARN: `arn:aws:kms:${instance.region}:${ACCOUNT_ID}:key/${KMS_KEY_ID}`,
        },
      ],
    };
  }
  const name = roll < 0.85 ? 'GetObject' : 'PutObject';
  const key = `images/${rng.hex(2)}/${rng.hex(24)}.jpg`;
  return {
    ...appBase(instance, time),
    ...s3Object(
      name,
      UPLOADS_BUCKET,
      key,
      instance.region,
      name === 'GetObject' ? rng.int(8_000, 900_000) : 0,
    ),
  };
}

/** Builds the Auto Scaling calls that replace one instance with another. */
export function autoscalingReplace(
  rng: Random,
  region: string,
  time: number,
  oldId: string,
): ApiCall[] {
  const identity = assumedRole(
    AUTOSCALING_ROLE,
    'AutoScaling',
    sessionKey(rng),
    cloudTrailTime(time),
    { invokedBy: 'autoscaling.amazonaws.com' },
  );
  const base = {
    identity,
    region,
    ip: 'autoscaling.amazonaws.com',
    userAgent: 'autoscaling.amazonaws.com',
    source: 'ec2.amazonaws.com',
  };
  return [
    {
      ...base,
      time,
      name: 'RunInstances',
      readOnly: false,
      request: {
        instancesSet: { items: [{ minCount: 1, maxCount: 1 }] },
        instanceType: 'm6i.large',
        launchTemplate: { launchTemplateId: 'lt-0c4a3e1f2b5d6e7f8', version: '7' },
      },
    },
    {
      ...base,
      time: time + rng.int(240_000, 420_000),
      name: 'TerminateInstances',
      readOnly: false,
      request: { instancesSet: { items: [{ instanceId: oldId }] } },
    },
  ];
}

const CONFIG_READS = [
  'DescribeInstances',
  'DescribeSecurityGroups',
  'DescribeNetworkInterfaces',
  'DescribeVolumes',
];

/** Builds the periodic resource reads AWS Config makes to record configuration changes. */
export function configSweep(rng: Random, region: string, time: number): ApiCall[] {
  const identity = assumedRole(
    CONFIG_ROLE,
    'AWSConfig-Describe',
    sessionKey(rng),
    cloudTrailTime(time),
    { invokedBy: 'config.amazonaws.com' },
  );
  return CONFIG_READS.map((name, i) => ({
    time: time + i * rng.int(200, 1_500),
    identity,
    source: 'ec2.amazonaws.com',
    name,
    region,
    ip: 'config.amazonaws.com',
    userAgent: 'config.amazonaws.com',
    readOnly: true,
    request: null,
  }));
}
