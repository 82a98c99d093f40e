/**
 * The later intrusion steps, made with the backdoor user's key: defence impairment, secret theft,
 * collection, exfiltration and GPU instances in an unused region.
 */

import {
  ACCOUNT_ID,
  FOREIGN_ACCOUNT_ID,
  HOME_REGIONS,
  SENSITIVE_BUCKET,
  TRAIL_NAME,
  UNUSED_REGION,
} from './environment.ts';
import { callBy, type Operator } from './operator.ts';
import type { ApiCall } from './record.ts';
import { s3Object } from './workload-actions.ts';

const SECRET_NAMES = [
  'prod/storefront/db',
  'prod/payments/stripe-api-key',
  'prod/payments/webhook-signing',
  'prod/search/opensearch-master',
  'prod/mail/smtp-relay',
  'prod/analytics/snowflake',
  'prod/storefront/session-key',
  'prod/support/zendesk-token',
  'prod/ci/github-app-key',
  'prod/shipping/carrier-api',
  'prod/crm/salesforce-oauth',
  'prod/storefront/jwt-signing',
  'staging/storefront/db',
  'staging/payments/stripe-api-key',
  'prod/reports/warehouse-readonly',
  'prod/monitoring/datadog-api-key',
  'prod/sso/okta-scim-token',
  'prod/backup/restic-password',
  'prod/cdn/origin-secret',
  'prod/fraud/vendor-api-key',
];

/** Stops the account trail, deletes VPC flow logs and the GuardDuty detectors. */
export function defenseImpairmentCalls(op: Operator): ApiCall[] {
  const trailArn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT_ID}:trail/${TRAIL_NAME}`;
  // NOTE: after StopLogging, this account's trail records nothing more. The scenario keeps the
  // later steps because the organisation also runs an organization trail, set up in the
  // management account, which the member account cannot stop and which kept logging.
  const calls = [
    callBy(op, '', {
      source: 'cloudtrail.amazonaws.com',
      name: 'StopLogging',
      region: 'us-east-1',
      readOnly: false,
      request: { name: trailArn },
    }),
  ];
  for (const region of HOME_REGIONS) {
    const flowLog = `fl-0${op.rng.hex(16)}`;
    calls.push(
      callBy(op, '', {
        source: 'ec2.amazonaws.com',
        name: 'DeleteFlowLogs',
        region,
        readOnly: false,
        request: { DeleteFlowLogsRequest: { FlowLogId: { content: flowLog, tag: 1 } } },
        response: {
          DeleteFlowLogsResponse: {
            xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
            requestId: op.rng.uuid(),
            unsuccessful: '',
          },
        },
      }),
    );
    calls.push(
      callBy(op, '', {
        source: 'guardduty.amazonaws.com',
        name: 'DeleteDetector',
        region,
        readOnly: false,
        request: { detectorId: op.rng.hex(32) },
      }),
    );
  }
  return calls;
}

/** Lists the secrets and reads each one. */
export function credentialTheftCalls(op: Operator): ApiCall[] {
  const calls = [
    callBy(op, '', {
      source: 'secretsmanager.amazonaws.com',
      name: 'ListSecrets',
      region: 'us-east-1',
      readOnly: true,
      request: { maxResults: 100 },
    }),
  ];
  for (const name of SECRET_NAMES) {
    const secretId = `arn:aws:secretsmanager:us-east-1:${ACCOUNT_ID}:secret:${name}-${op.rng.chars(6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')}`;
    calls.push(
      callBy(op, '', {
        source: 'secretsmanager.amazonaws.com',
        name: 'GetSecretValue',
        region: 'us-east-1',
        readOnly: true,
        request: { secretId },
      }),
    );
    op.clock.now -= op.rng.int(0, 500);
  }
  return calls;
}

/** Lists the sensitive bucket and downloads its exports. */
export function collectionCalls(op: Operator): ApiCall[] {
  const host = `${SENSITIVE_BUCKET}.s3.us-east-1.amazonaws.com`;
  const list = {
    ...s3Object('GetObject', SENSITIVE_BUCKET, '', 'us-east-1', 48_213),
    name: 'ListObjects',
    request: { bucketName: SENSITIVE_BUCKET, Host: host, 'list-type': '2', prefix: 'exports/' },
  };
  list.resources = [
    { accountId: ACCOUNT_ID, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${SENSITIVE_BUCKET}` },
  ];
  const calls = [callBy(op, '', { ...list, region: 'us-east-1' })];
  // Two years of monthly exports: 120 distinct objects within about six minutes.
  for (let month = 0; month < 24; month++) {
    const folder = `${2023 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`;
    for (const part of ['customers', 'orders', 'addresses', 'payments-tokens', 'loyalty']) {
      const key = `exports/${folder}/${part}.csv.gz`;
      calls.push(
        callBy(op, '', {
          ...s3Object(
            'GetObject',
            SENSITIVE_BUCKET,
            key,
            'us-east-1',
            op.rng.int(20_000_000, 180_000_000),
          ),
          region: 'us-east-1',
        }),
      );
      op.clock.now -= op.rng.int(0, 600);
    }
  }
  return calls;
}

/** Makes the bucket public and shares a database snapshot with a foreign account. */
export function exfiltrationCalls(op: Operator): ApiCall[] {
  const host = `${SENSITIVE_BUCKET}.s3.us-east-1.amazonaws.com`;
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublicRead',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${SENSITIVE_BUCKET}/*`,
      },
    ],
  };
  const bucket = [
    { accountId: ACCOUNT_ID, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${SENSITIVE_BUCKET}` },
  ];
  return [
    callBy(op, '', {
      source: 's3.amazonaws.com',
      name: 'DeleteBucketPublicAccessBlock',
      region: 'us-east-1',
      readOnly: false,
      host,
      request: { publicAccessBlock: '', bucketName: SENSITIVE_BUCKET, Host: host },
      resources: bucket,
    }),
    callBy(op, '', {
      source: 's3.amazonaws.com',
      name: 'PutBucketPolicy',
      region: 'us-east-1',
      readOnly: false,
      host,
      request: { bucketPolicy: policy, bucketName: SENSITIVE_BUCKET, Host: host, policy: '' },
      resources: bucket,
    }),
    callBy(op, '', {
      source: 'ec2.amazonaws.com',
      name: 'ModifySnapshotAttribute',
      region: 'us-east-1',
      readOnly: false,
      request: {
        snapshotId: `snap-0${op.rng.hex(16)}`,
        createVolumePermission: { add: { items: [{ userId: FOREIGN_ACCOUNT_ID }] } },
        attributeType: 'CREATE_VOLUME_PERMISSION',
      },
      response: { _return: true },
    }),
  ];
}

const GPU_TYPES = ['p4d.24xlarge', 'p3.16xlarge', 'g5.12xlarge', 'p3.16xlarge', 'g5.48xlarge'];

/** Starts GPU instances in a region the organisation never uses; the last hits the vCPU quota. */
export function gpuLaunchCalls(op: Operator): ApiCall[] {
  return GPU_TYPES.map((instanceType, i) => {
    const last = i === GPU_TYPES.length - 1;
    const request = {
      instancesSet: { items: [{ imageId: 'ami-0a2c4b6d8e0f13579', minCount: 1, maxCount: 4 }] },
      instanceType,
      blockDeviceMapping: {},
      availabilityZone: `${UNUSED_REGION}a`,
      disableApiTermination: false,
      clientToken: op.rng.uuid(),
    };
    if (last) {
      return callBy(op, '', {
        source: 'ec2.amazonaws.com',
        name: 'RunInstances',
        region: UNUSED_REGION,
        readOnly: false,
        request,
        error: {
          code: 'Client.VcpuLimitExceeded',
          message:
            'You have requested more vCPU capacity than your current vCPU limit of 384 allows for the instance bucket that the specified instance type belongs to.',
        },
      });
    }
    const items = Array.from({ length: 4 }, () => ({
      instanceId: `i-0${op.rng.hex(16)}`,
      imageId: 'ami-0a2c4b6d8e0f13579',
      instanceType,
      instanceState: { code: 0, name: 'pending' },
    }));
    return callBy(op, '', {
      source: 'ec2.amazonaws.com',
      name: 'RunInstances',
      region: UNUSED_REGION,
      readOnly: false,
      request,
      response: {
        requestId: op.rng.uuid(),
        reservationId: `r-0${op.rng.hex(16)}`,
        ownerId: ACCOUNT_ID,
        instancesSet: { items },
      },
    });
  });
}
