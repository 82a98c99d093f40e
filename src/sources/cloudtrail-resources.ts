import type { Resource } from '../core/event.ts';
import { text } from './cloudtrail-actor.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';

// A record may list thousands of instances or objects; the event keeps the first ones.
const MAX_RESOURCES = 100;

// requestParameters fields that name a resource, with the CloudFormation type they name.
const PARAMETER_TYPES: [string, string | null][] = [
  ['userName', 'AWS::IAM::User'],
  ['roleName', 'AWS::IAM::Role'],
  ['roleArn', 'AWS::IAM::Role'],
  ['policyArn', 'AWS::IAM::ManagedPolicy'],
  ['groupName', 'AWS::IAM::Group'],
  ['instanceId', 'AWS::EC2::Instance'],
  ['groupId', 'AWS::EC2::SecurityGroup'],
  ['snapshotId', 'AWS::EC2::Snapshot'],
  ['keyId', 'AWS::KMS::Key'],
  ['secretId', 'AWS::SecretsManager::Secret'],
  ['dbInstanceIdentifier', 'AWS::RDS::DBInstance'],
  ['functionName', 'AWS::Lambda::Function'],
  ['trailName', 'AWS::CloudTrail::Trail'],
];

// The generic `name` parameter means different things per service.
const NAME_TYPES = new Map<string, string>([
  ['cloudtrail.amazonaws.com', 'AWS::CloudTrail::Trail'],
  ['ssm.amazonaws.com', 'AWS::SSM::Parameter'],
]);

/**
 * Collects the resources a CloudTrail record touches: its `resources` array, resource names in
 * common `requestParameters`, and credentials an operation hands out (new access keys and
 * assumed-role sessions, which later records use). Deduplicated by uid, first type kept.
 */
export function resourcesOf(record: JsonObject, extra: Resource[]): Resource[] {
  // A map passed to plain functions rather than a closure made per record: the TypeScript loader
  // names every closure it creates, which cost more than collecting the resources.
  const found: Found = new Map();
  for (const resource of extra) add(found, resource.uid, resource.type);
  addListed(found, record.resources);
  if (isObject(record.requestParameters)) addParameters(found, record, record.requestParameters);
  if (isObject(record.responseElements)) addIssued(found, record.responseElements);

  return [...found.values()];
}

/** Resources found so far, by uid. */
type Found = Map<string, Resource>;

function add(found: Found, uid: string | null, type: string | null): void {
  if (uid === null || uid === '' || found.has(uid) || found.size >= MAX_RESOURCES) return;
  found.set(uid, { uid, type });
}

function addListed(found: Found, listed: unknown): void {
  if (!Array.isArray(listed)) return;

  for (const item of listed) {
    if (!isObject(item)) continue;
    add(found, text(item.ARN) ?? text(item.ARNPrefix), text(item.type));
  }
}

function addParameters(found: Found, record: JsonObject, parameters: JsonObject): void {
  const bucket = text(parameters.bucketName);
  add(found, bucket, 'AWS::S3::Bucket');
  const key = text(parameters.key);
  if (bucket !== null && key !== null) add(found, `${bucket}/${key}`, 'AWS::S3::Object');

  for (const [field, type] of PARAMETER_TYPES) add(found, text(parameters[field]), type);

  const source = text(record.eventSource) ?? '';
  add(found, text(parameters.name), NAME_TYPES.get(source) ?? null);
  addInstances(found, parameters.instancesSet);
}

function addInstances(found: Found, instancesSet: unknown): void {
  if (!isObject(instancesSet) || !Array.isArray(instancesSet.items)) return;

  for (const item of instancesSet.items) {
    if (isObject(item)) add(found, text(item.instanceId), 'AWS::EC2::Instance');
  }
}

function addIssued(found: Found, response: JsonObject): void {
  const accessKey = response.accessKey;
  if (isObject(accessKey)) add(found, text(accessKey.accessKeyId), 'AWS::IAM::AccessKey');

  const assumed = response.assumedRoleUser;
  if (isObject(assumed)) add(found, text(assumed.arn), 'AWS::STS::AssumedRole');
}
