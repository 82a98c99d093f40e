/**
 * The fields the workbench query language knows, each mapped to a fixed SQL expression over the
 * `events` table. Only names from this table ever reach SQL; every value is a bound parameter.
 */

/** How a field's values are compared. */
export type FieldKind =
  | 'text'
  | 'contains'
  | 'raw'
  | 'number'
  | 'ip'
  | 'time'
  | 'bool'
  | 'tag'
  | 'rule'
  | 'star';

/** One queryable field: its name in queries, its SQL expression and a line of help. */
export interface QueryField {
  name: string;
  kind: FieldKind;
  sql: string;
  help: string;
}

const field = (name: string, kind: FieldKind, sql: string, help: string): QueryField => ({
  name,
  kind,
  sql,
  help,
});

/** Every field of the query language, in the order the completion list shows them. */
export const QUERY_FIELDS: readonly QueryField[] = [
  field('time', 'time', 'time', 'event time (UTC): time:2024-05-01, time>=…, time:A..B'),
  field('source', 'text', 'source', 'format id, such as aws.cloudtrail'),
  field('category', 'text', 'category', 'audit, network, compute, identity, …'),
  field('class', 'text', 'class_name', 'OCSF class name, such as API Activity'),
  field('activity', 'text', 'activity', 'OCSF activity'),
  field('status', 'text', 'status', 'success, failure or unknown'),
  field('status_detail', 'text', 'status_detail', "the provider's error code"),
  field('actor.uid', 'text', 'actor_uid', 'user ARN, principal or email'),
  field('actor.name', 'text', 'actor_name', 'user name'),
  field('actor.type', 'text', 'actor_type', 'identity type'),
  field('actor.session', 'text', 'actor_session', 'session name or id'),
  field('actor.access_key', 'text', 'actor_access_key', 'access key id'),
  field('actor.account', 'text', 'actor_account', 'account of the actor'),
  field('actor.invoked_by', 'text', 'actor_invoked_by', 'service that acted for the actor'),
  field('actor.mfa', 'bool', 'actor_mfa', 'true when MFA was used'),
  field('src.ip', 'ip', 'src_ip', 'source address, or an IPv4 CIDR block'),
  field('src.port', 'number', 'src_port', 'source port'),
  field('src.domain', 'text', 'src_domain', 'source domain'),
  field('dst.ip', 'ip', 'dst_ip', 'destination address, or an IPv4 CIDR block'),
  field('dst.port', 'number', 'dst_port', 'destination port'),
  field('dst.domain', 'text', 'dst_domain', 'destination domain'),
  field('user_agent', 'text', 'user_agent', 'client user agent'),
  field('cloud.provider', 'text', 'cloud_provider', 'aws, gcp, azure, …'),
  field('cloud.account', 'text', 'cloud_account', 'account, project or subscription'),
  field('cloud.region', 'text', 'cloud_region', 'region'),
  field('api.service', 'text', 'api_service', 'API service, such as iam.amazonaws.com'),
  field('api.operation', 'text', 'api_operation', 'API operation, such as CreateAccessKey'),
  field('api.request_id', 'text', 'api_request_id', 'request id'),
  field('api.read_only', 'bool', 'api_read_only', 'true for read-only calls'),
  field('message', 'text', 'message', 'one-line summary (what a bare word searches)'),
  field('resource', 'contains', 'resources', 'text within the resources touched'),
  field('raw', 'raw', 'raw', 'text within the original record'),
  field('uid', 'text', 'uid', 'event id'),
  field('evidence.sha256', 'text', 'evidence_sha256', 'hash of the evidence file'),
  field('evidence.record', 'number', 'evidence_record', 'record index in the evidence'),
  field('tag', 'tag', 'uid', 'analyst or rule tag'),
  field('rule', 'rule', 'uid', 'id of a rule that detected the event'),
  field('star', 'star', 'uid', 'star:true for starred events'),
];

const BY_NAME = new Map(QUERY_FIELDS.map((f) => [f.name.toLowerCase(), f]));

/** Looks a field up by its query name, ignoring case. */
export function queryField(name: string): QueryField | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** The field a bare word searches. */
export const DEFAULT_FIELD = queryField('message') as QueryField;
