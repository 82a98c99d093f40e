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
  const found = new Map<string, Resource>();
  const add = (uid: string | null, type: string | null): void => {
    if (uid === null || uid === '' || found.has(uid) || found.size >= MAX_RESOURCES) return;
    found.set(uid, { uid, type });
  };

  for (const resource of extra) add(resource.uid, resource.type);
  addListed(record.resources, add);
  if (isObject(record.requestParameters)) addParameters(record, record.requestParameters, add);
  if (isObject(record.responseElements)) addIssued(record.responseElements, add);

  return [...found.values()];
}

type AddResource = (uid: string | null, type: string | null) => void;

function addListed(listed: unknown, add: AddResource): void {
  if (!Array.isArray(listed)) return;

  for (const item of listed) {
    if (!isObject(item)) continue;
    add(text(item.ARN) ?? text(item.ARNPrefix), text(item.type));
  }
}

function addParameters(record: JsonObject, parameters: JsonObject, add: AddResource): void {
  const bucket = text(parameters.bucketName);
  add(bucket, 'AWS::S3::Bucket');
  const key = text(parameters.key);
  if (bucket !== null && key !== null) add(`${bucket}/${key}`, 'AWS::S3::Object');

  for (const [field, type] of PARAMETER_TYPES) add(text(parameters[field]), type);

  const source = text(record.eventSource) ?? '';
  add(text(parameters.name), NAME_TYPES.get(source) ?? null);
  addInstances(parameters.instancesSet, add);
}

function addInstances(instancesSet: unknown, add: AddResource): void {
  if (!isObject(instancesSet) || !Array.isArray(instancesSet.items)) return;

  for (const item of instancesSet.items) {
    if (isObject(item)) add(text(item.instanceId), 'AWS::EC2::Instance');
  }
}

function addIssued(response: JsonObject, add: AddResource): void {
  const accessKey = response.accessKey;
  if (isObject(accessKey)) add(text(accessKey.accessKeyId), 'AWS::IAM::AccessKey');

  const assumed = response.assumedRoleUser;
  if (isObject(assumed)) add(text(assumed.arn), 'AWS::STS::AssumedRole');
}
