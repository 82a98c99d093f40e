import type { Category } from '../core/event.ts';

/** OCSF class and activity of one CloudTrail record. */
export interface OcsfClass {
  class_uid: number;
  class_name: string;
  activity: string;
}

const SERVICE_CATEGORIES = new Map<string, Category>([
  ['kms', 'secrets'],
  ['secretsmanager', 'secrets'],
  ['s3', 'storage'],
  ['rds', 'database'],
  ['dynamodb', 'database'],
  ['redshift', 'database'],
  ['lambda', 'compute'],
  ['ecs', 'compute'],
  ['autoscaling', 'compute'],
  ['ssm', 'compute'],
  ['elasticloadbalancing', 'network'],
  ['route53', 'network'],
  ['network-firewall', 'network'],
  ['iam', 'identity'],
  ['sts', 'identity'],
  ['signin', 'identity'],
  ['sso', 'identity'],
  ['sso-directory', 'identity'],
  ['identitystore', 'identity'],
  ['cognito-idp', 'identity'],
  ['cognito-identity', 'identity'],
  ['eks', 'kubernetes'],
]);

// EC2 API operations that change networks rather than instances.
const EC2_NETWORK =
  /SecurityGroup|Vpc|Subnet|RouteTable|Route$|NetworkAcl|FlowLogs|Gateway|NetworkInterface|Address|Vpn|TransitGateway|PrefixList/;
const SSM_SECRETS = /^Get\w*Parameter|^GetSecretValue$/;

/** Sign-in operations, which OCSF files as Authentication rather than API Activity. */
const SIGN_INS = new Set([
  'ConsoleLogin',
  'CheckMfa',
  'SwitchRole',
  'RenewRole',
  'ExitRole',
  'Authenticate',
  'CredentialChallenge',
  'CredentialVerification',
  'UserAuthentication',
  'Federate',
]);
const LOGOFFS = new Set(['ExitRole', 'Logout']);

// Verb prefixes of AWS operation names, mapped to the OCSF API Activity activities.
const VERBS: [RegExp, string][] = [
  [
    /^(Get|List|Describe|Head|Lookup|Search|Scan|Query|BatchGet|Select|Download|Filter|View)/,
    'Read',
  ],
  [
    /^(Create|Put|Run|Add|Allocate|Import|Register|Upload|Copy|Authorize|Generate|Issue|Request)/,
    'Create',
  ],
  [/^(Delete|Remove|Terminate|Destroy|Purge|Deregister|Revoke|Release|Deactivate)/, 'Delete'],
  [
    /^(Update|Modify|Set|Change|Attach|Detach|Associate|Disassociate|Enable|Disable|Tag|Untag|Reset|Replace|Start|Stop|Reboot|Restore|Rotate|Apply)/,
    'Update',
  ],
];

/** Returns the service short name of a CloudTrail `eventSource`, such as `iam`. */
export function serviceName(eventSource: string | null): string {
  if (eventSource === null) return 'unknown';
  return eventSource.replace(/\.amazonaws\.com$/, '');
}

/** Maps a CloudTrail record to a log category by its service and, for EC2 and SSM, operation. */
export function categoryOf(eventSource: string | null, eventName: string | null): Category {
  const service = serviceName(eventSource);
  const operation = eventName ?? '';

  if (service === 'ec2') return EC2_NETWORK.test(operation) ? 'network' : 'compute';
  if (service === 'ssm' && SSM_SECRETS.test(operation)) return 'secrets';

  return SERVICE_CATEGORIES.get(service) ?? 'audit';
}

/** Maps a CloudTrail operation to OCSF Authentication (3002) or API Activity (6003). */
export function ocsfClassOf(eventName: string | null, readOnly: boolean | null): OcsfClass {
  const operation = eventName ?? '';
  if (SIGN_INS.has(operation)) {
    const activity = LOGOFFS.has(operation) ? 'Logoff' : 'Logon';
    return { class_uid: 3002, class_name: 'Authentication', activity };
  }

  const verb = VERBS.find(([pattern]) => pattern.test(operation));
  const activity = verb?.[1] ?? (readOnly === true ? 'Read' : 'Other');

  return { class_uid: 6003, class_name: 'API Activity', activity };
}
