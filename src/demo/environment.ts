/**
 * The fictional organisation the demo scenario happens in: one AWS account, its people, roles,
 * buckets and networks. Every address is from the documentation ranges of RFC 5737 or private
 * space, and the account ids are the ones AWS documentation uses, so the demo never names a real
 * network or account.
 */

export const ACCOUNT_ID = '111122223333';
/** The account a snapshot is shared with during exfiltration. */
export const FOREIGN_ACCOUNT_ID = '444455556666';

/** Regions the organisation works in. */
export const HOME_REGIONS = ['us-east-1', 'eu-west-1'] as const;
/** A region nobody in the organisation uses, where the attacker starts GPU instances. */
export const UNUSED_REGION = 'ap-southeast-2';
/** Regions enabled by default, which discovery sweeps through. */
export const ALL_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-south-1',
  'sa-east-1',
] as const;

/** An IAM user who works from the office. */
export interface HumanUser {
  name: string;
  principalId: string;
  /** Long-term access key used from the CLI, if the user has one. */
  accessKeyId: string | null;
  officeIp: string;
}

export const HUMANS: readonly HumanUser[] = [
  {
    name: 'alice.moreau',
    principalId: 'AIDAQ3EGV7KAM2ALICE01',
    accessKeyId: null,
    officeIp: '192.0.2.14',
  },
  {
    name: 'ben.osei',
    principalId: 'AIDAQ3EGV7KAM2BENOS02',
    accessKeyId: null,
    officeIp: '192.0.2.27',
  },
  {
    name: 'dana.kim',
    principalId: 'AIDAQ3EGV7KAM2DANAK03',
    accessKeyId: 'AKIAQ3EGV7KAMD4NAK3Y',
    officeIp: '192.0.2.31',
  },
  {
    name: 'farid.haddad',
    principalId: 'AIDAQ3EGV7KAM2FARID04',
    accessKeyId: null,
    officeIp: '192.0.2.45',
  },
];

/** The developer whose long-term key leaks. */
export const COMPROMISED_USER = 'dana.kim';

/** The self-hosted CI runner sits in the office network. */
export const CI_RUNNER_IP = '192.0.2.60';
export const CI_ROLE = { name: 'ci-deploy', roleId: 'AROAQ3EGV7KAMCIDEPLOY' } as const;
export const OIDC_PROVIDER = 'token.actions.githubusercontent.com';
export const CI_SUBJECT = 'repo:acme-shop/storefront:ref:refs/heads/main';

export const APP_ROLE = { name: 'storefront-app', roleId: 'AROAQ3EGV7KAMSTOREAPP' } as const;
export const CONFIG_ROLE = {
  name: 'AWSServiceRoleForConfig',
  roleId: 'AROAQ3EGV7KAMCONFIGSR',
  path: 'aws-service-role/config.amazonaws.com/',
} as const;
export const AUTOSCALING_ROLE = {
  name: 'AWSServiceRoleForAutoScaling',
  roleId: 'AROAQ3EGV7KAMAUTOSCAL',
  path: 'aws-service-role/autoscaling.amazonaws.com/',
} as const;

export const ARTIFACTS_BUCKET = 'acme-shop-ci-artifacts';
export const UPLOADS_BUCKET = 'acme-shop-uploads';
/** The bucket holding customer data, which the attacker collects from. */
export const SENSITIVE_BUCKET = 'acme-shop-customer-exports';
export const STACK_NAME = 'storefront-prod';
export const TRAIL_NAME = 'management-events';
export const APP_SECRET = 'prod/storefront/db';
export const KMS_KEY_ID = '5f1c2e7a-3b9d-4c8e-a1f0-6d2b79f5c3e1';

/** Private address range of the application subnets. */
export const APP_SUBNET_PREFIX = '10.20.';
/** VPC endpoint id per home region, through which the application reaches S3 and KMS. */
export const VPC_ENDPOINTS: Record<string, string> = {
  'us-east-1': 'vpce-0a1b2c3d4e5f60718',
  'eu-west-1': 'vpce-0f9e8d7c6b5a40312',
};

/** The address the leaked key is first used from, and where the GPU instances are started. */
export const ATTACKER_IP = '203.0.113.77';
/** The address the backdoor user works from. */
export const ATTACKER_IP_2 = '198.51.100.23';

/** Builds the ARN of an IAM user in the demo account. */
export function userArn(name: string): string {
  return `arn:aws:iam::${ACCOUNT_ID}:user/${name}`;
}

/** Builds the ARN of an IAM role in the demo account. */
export function roleArn(name: string, path = ''): string {
  return `arn:aws:iam::${ACCOUNT_ID}:role/${path}${name}`;
}

/** Builds the ARN of an assumed-role session in the demo account. */
export function sessionArn(role: string, session: string): string {
  return `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${role}/${session}`;
}
