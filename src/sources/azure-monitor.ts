import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Actor,
  type Category,
  type Endpoint,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  metadataUid,
  type Resource,
  type Status,
} from '../core/event.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';
import { scanJsonRecords } from './json-records.ts';
import { jsonMarkerScore } from './json-sniff.ts';
import { clipPart } from './message.ts';
import { arrayField, bareAddress, field, objectField, stringField } from './record-fields.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

/** Diagnostic exports wrap records in `records`; Graph and REST responses in `value`. */
const RECORD_KEYS = ['records', 'value'];

const MARKERS: [RegExp, number][] = [
  [
    /"category"\s*:\s*"(SignInLogs|NonInteractiveUserSignInLogs|ServicePrincipalSignInLogs|ManagedIdentitySignInLogs|AuditLogs)"/i,
    0.9,
  ],
  [
    /"category"\s*:\s*"(Administrative|Security|Policy|ServiceHealth|Alert|Recommendation|Autoscale|ResourceHealth)"[\s\S]*"operationName"|"operationName"[\s\S]*"category"\s*:\s*"(Administrative|Security|Policy)"/,
    0.9,
  ],
  [/"eventTimestamp"\s*:[\s\S]*"operationName"|"event_timestamp"\s*:[\s\S]*"operation_name"/, 0.9],
  [/"SourceSystem"\s*:\s*"Azure AD"|"OperationNameValue"\s*:/, 0.9],
  [
    /"createdDateTime"\s*:[\s\S]*"userPrincipalName"|"activityDateTime"\s*:[\s\S]*"initiatedBy"/,
    0.85,
  ],
  [/"resourceId"\s*:\s*"\/(subscriptions|tenants)\//i, 0.7],
];

const SIGN_IN_CATEGORIES =
  /^(SignInLogs|NonInteractiveUserSignInLogs|ServicePrincipalSignInLogs|ManagedIdentitySignInLogs|SigninLogs|AADNonInteractiveUserSignInLogs|AADServicePrincipalSignInLogs|AADManagedIdentitySignInLogs)$/i;

const PROVIDER_CATEGORIES: [RegExp, Category][] = [
  [/^microsoft\.keyvault\//i, 'secrets'],
  [/^microsoft\.storage\//i, 'storage'],
  [/^microsoft\.(compute|web|classiccompute|batch|automation)\//i, 'compute'],
  [/^microsoft\.(network|cdn|classicnetwork)\//i, 'network'],
  [/^microsoft\.(sql|documentdb|dbfor\w+|cache|synapse)\//i, 'database'],
  [/^microsoft\.containerservice\//i, 'kubernetes'],
  [/^microsoft\.(authorization|managedidentity|aadiam)\//i, 'identity'],
];

type Kind = 'activity' | 'signin' | 'audit';

/**
 * Azure Monitor logs: the Activity Log (the `az monitor activity-log list` shape, the SDK's
 * snake_case shape, diagnostic-settings exports and the `AzureActivity` Log Analytics table) and
 * Entra ID sign-in and audit logs (Microsoft Graph `signIns` and `directoryAudits`, diagnostic
 * exports and the `SigninLogs` / `AuditLogs` tables). Events are `azure.activity`,
 * `azure.signin` or `azure.audit` by what each record is.
 */
export const azureMonitor: SourceFormat = {
  id: 'azure.monitor',
  description: 'Azure Activity Log and Entra ID sign-in and audit logs (CLI, Graph, exports)',
  example: 'insights-activity-logs/PT1H.json',
  eventSources: ['azure.activity', 'azure.signin', 'azure.audit'],
  logCategory: 'audit',
  alsoCovers: ['identity', 'secrets', 'storage'],
  sniff: sniffAzureMonitor,
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanJsonRecords(input, { recordKeys: RECORD_KEYS }),
  normalize: normalizeAzureMonitor,
};

/** Scores how much the first bytes of a stream look like Azure Monitor records. */
export function sniffAzureMonitor(head: Buffer, _name: string): number {
  return jsonMarkerScore(head, MARKERS);
}

/** Maps one Azure Activity Log or Entra ID record to an event. */
export function normalizeAzureMonitor(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value)) return notAzure('the record is not a JSON object');
  const kind = kindOf(value);
  if (kind === null) return notAzure('the record is no Azure activity, sign-in or audit record');

  // Diagnostic exports and Panther keep the Entra fields under `properties`.
  const properties = objectField(value, 'properties') ?? {};
  const time = timeOf(value, properties, kind);
  if (typeof time !== 'string') return time;

  if (kind === 'signin') return signIn(value, properties, time, ref);
  if (kind === 'audit') return directoryAudit(value, properties, time, ref);
  return activity(value, properties, time, ref);
}

function notAzure(reason: string): NormalizeError {
  return { code: 'not_azure_monitor', reason };
}

function kindOf(record: JsonObject): Kind | null {
  const category = stringField(record, 'category', 'Category', 'Type');
  if (category !== null && SIGN_IN_CATEGORIES.test(category)) return 'signin';
  if (category !== null && /^AuditLogs$/i.test(category)) return 'audit';

  const properties = objectField(record, 'properties') ?? {};
  if (eitherHas(record, properties, 'activityDateTime', 'loggedByService', 'initiatedBy'))
    return 'audit';
  if (
    eitherHas(record, properties, 'createdDateTime') &&
    eitherHas(record, properties, 'userPrincipalName', 'appDisplayName')
  )
    return 'signin';
  if (
    eitherHas(record, properties, 'AuthenticationRequirement') &&
    eitherHas(record, properties, 'UserPrincipalName')
  )
    return 'signin';
  if (
    eitherHas(
      record,
      properties,
      'operationName',
      'operation_name',
      'OperationNameValue',
      'authorization',
    )
  ) {
    return 'activity';
  }
  return null;
}

function timeOf(record: JsonObject, properties: JsonObject, kind: Kind): string | NormalizeError {
  const own =
    kind === 'signin'
      ? field(properties, 'createdDateTime')
      : kind === 'audit'
        ? field(properties, 'activityDateTime')
        : undefined;
  const found =
    field(record, 'eventTimestamp', 'event_timestamp', 'createdDateTime', 'activityDateTime') ??
    own ??
    field(record, 'time', 'timeStamp', 'TimeGenerated', 'p_event_time');
  if (found === undefined || found === null) {
    return { code: 'missing_time', reason: 'the record has no event time' };
  }
  const time = parseTimestamp(found);
  if (time === null)
    return { code: 'invalid_time', reason: 'the record time is not a valid timestamp' };
  return time;
}

function endpoint(address: string | null): Endpoint {
  const found = emptyEndpoint();
  if (address === null) return found;
  const bare = bareAddress(address);
  if (isIP(bare) !== 0) found.ip = bare;
  else found.domain = bare;
  return found;
}

function subscriptionOf(resourceId: string | null): string | null {
  return resourceId === null ? null : (/^\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1] ?? null);
}

// Resource logs such as Key Vault's `AuditEvent` name the operation alone (`SecretGet`); their
// resource id names the provider.
function providerCategory(operation: string | null, resourceId: string | null): Category {
  const provider = /\/providers\/(microsoft\.\w+)\//i.exec(resourceId ?? '')?.[1];
  for (const candidate of [operation, provider === undefined ? null : `${provider}/`]) {
    if (candidate === null) continue;
    const found = PROVIDER_CATEGORIES.find(([pattern]) => pattern.test(candidate))?.[1];
    if (found !== undefined) return found;
  }
  return 'audit';
}

function operationActivity(operation: string | null): string {
  const verb = operation?.split('/').pop()?.toLowerCase();
  if (verb === 'read' || verb === 'list' || verb === 'listkeys') return 'Read';
  if (verb === 'write') return 'Update';
  if (verb === 'delete') return 'Delete';
  return 'Other';
}

function activityStatus(value: string | null): { status: Status; detail: string | null } {
  if (value === null) return { status: 'unknown', detail: null };
  if (/^(success|succeeded)$/i.test(value)) return { status: 'success', detail: null };
  if (/^(fail|failure|failed)$/i.test(value)) return { status: 'failure', detail: value };
  return { status: 'unknown', detail: value };
}

// The caller is an email address or object id; claims name the user when it is an app id.
function activityActor(record: JsonObject): Actor {
  const actor = emptyActor();
  const identity = objectField(record, 'identity') ?? {};
  // Activity Log records name the object `claims`, and Key Vault's AuditEvent names it `claim`.
  const claims =
    objectField(identity, 'claims') ??
    objectField(identity, 'claim') ??
    objectField(record, 'claims') ??
    {};
  const upn =
    stringField(claims, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn') ??
    stringField(claims, 'upn') ??
    stringField(claims, 'name');
  const caller = stringField(record, 'caller', 'Caller');
  actor.uid = caller ?? upn;
  actor.name = upn ?? caller;
  const appId = stringField(claims, 'appid');
  actor.type =
    stringField(claims, 'idtyp') === 'app' || (appId !== null && caller === appId)
      ? 'Application'
      : actor.uid === null
        ? null
        : 'User';
  actor.account =
    stringField(claims, 'http://schemas.microsoft.com/identity/claims/tenantid') ??
    stringField(record, 'tenantId', 'tenant_id', 'TenantId');
  return actor;
}

function activity(
  record: JsonObject,
  properties: JsonObject,
  time: string,
  ref: EvidenceRef,
): Event {
  const operation = stringField(record, 'operationName', 'operation_name', 'OperationNameValue');
  const resourceId = stringField(record, 'resourceId', 'resource_id', '_ResourceId');
  const http = objectField(record, 'httpRequest', 'http_request') ?? {};
  // Application Gateway access logs name the client `properties.clientIP`.
  const address =
    stringField(record, 'callerIpAddress', 'CallerIpAddress') ??
    stringField(http, 'clientIpAddress', 'client_ip_address') ??
    stringField(properties, 'clientIP');
  const { status, detail } = activityStatus(
    stringField(record, 'resultType', 'status', 'ActivityStatusValue', 'ActivityStatus'),
  );
  const actor = activityActor(record);
  const src = endpoint(address);
  const subscription =
    stringField(record, 'subscriptionId', 'subscription_id', 'SubscriptionId') ??
    subscriptionOf(resourceId);
  const resourceType = stringField(
    record,
    'resourceType',
    'resource_type',
    'ResourceProviderValue',
  );

  return base(ref, time, 'azure.activity', {
    category: providerCategory(operation, resourceId),
    class_uid: 6003,
    class_name: 'API Activity',
    activity: operationActivity(operation),
    status,
    status_detail: detail ?? stringField(properties, 'statusCode'),
    actor,
    src,
    user_agent: stringField(properties, 'userAgent'),
    cloud: { provider: 'azure', account: subscription, region: stringField(record, 'location') },
    api: {
      service: operation?.split('/')[0] ?? null,
      operation,
      request_id: stringField(record, 'correlationId', 'correlation_id', 'CorrelationId'),
      read_only: operationActivity(operation) === 'Read',
    },
    resources: resourceId === null ? [] : [{ uid: resourceId, type: resourceType }],
    message: summary(actor.uid, operation, src, detail),
    raw: record,
    ...metadataUid(activityRecordId(record)),
  });
}

function signIn(record: JsonObject, properties: JsonObject, time: string, ref: EvidenceRef): Event {
  const statusObject =
    objectField(properties, 'status') ?? objectField(record, 'status', 'Status') ?? {};
  const errorCode =
    stringField(statusObject, 'errorCode') ??
    propertyText(record, properties, 'ResultType', 'resultType');
  const failed = errorCode !== null && !/^(0|success)$/i.test(errorCode);
  const requirement = propertyText(
    record,
    properties,
    'authenticationRequirement',
    'AuthenticationRequirement',
  );

  const actor = emptyActor();
  actor.uid = propertyText(
    record,
    properties,
    'userPrincipalName',
    'UserPrincipalName',
    'servicePrincipalName',
    'ServicePrincipalName',
  );
  actor.name = propertyText(record, properties, 'userDisplayName', 'UserDisplayName') ?? actor.uid;
  actor.type =
    propertyText(record, properties, 'servicePrincipalId', 'ServicePrincipalId') !== null &&
    propertyText(record, properties, 'userPrincipalName', 'UserPrincipalName') === null
      ? 'ServicePrincipal'
      : 'User';
  actor.session =
    propertyText(record, properties, 'sessionId', 'SessionId') ??
    propertyText(record, properties, 'correlationId', 'CorrelationId');
  actor.account = propertyText(record, properties, 'tenantId', 'TenantId', 'homeTenantId');
  actor.mfa = requirement === null ? null : /multiFactor/i.test(requirement);
  const src = endpoint(
    propertyText(record, properties, 'ipAddress', 'IPAddress', 'callerIpAddress'),
  );
  const app = propertyText(record, properties, 'appDisplayName', 'AppDisplayName');
  const detail = failed
    ? (stringField(statusObject, 'failureReason') ??
      propertyText(record, properties, 'ResultDescription') ??
      errorCode)
    : null;

  let status: Status = 'unknown';
  if (errorCode !== null) status = failed ? 'failure' : 'success';

  return base(ref, time, 'azure.signin', {
    category: 'identity',
    class_uid: 3002,
    class_name: 'Authentication',
    activity: 'Logon',
    status,
    status_detail: failed ? errorCode : null,
    actor,
    src,
    user_agent: propertyText(record, properties, 'userAgent', 'UserAgent'),
    cloud: { provider: 'azure', account: actor.account, region: null },
    api: {
      service: propertyText(record, properties, 'resourceDisplayName', 'ResourceDisplayName'),
      operation: 'Sign-in',
      request_id:
        propertyText(record, properties, 'id', 'Id') ??
        propertyText(record, properties, 'correlationId', 'CorrelationId'),
      read_only: null,
    },
    resources:
      app === null
        ? []
        : [{ uid: propertyText(record, properties, 'appId', 'AppId') ?? app, type: 'Application' }],
    message: `${clipPart(actor.uid ?? 'unknown user')} signed in to ${clipPart(app ?? 'an application')}${src.ip === null ? '' : ` from ${clipPart(src.ip)}`}${detail === null ? '' : ` (${clipPart(detail)})`}`,
    raw: record,
    ...metadataUid(propertyText(record, properties, 'id', 'Id')),
  });
}

function directoryAudit(
  record: JsonObject,
  properties: JsonObject,
  time: string,
  ref: EvidenceRef,
): Event {
  const operation = propertyText(
    record,
    properties,
    'activityDisplayName',
    'ActivityDisplayName',
    'OperationName',
    'operationName',
  );
  const initiatedBy =
    objectField(properties, 'initiatedBy') ??
    objectField(record, 'initiatedBy', 'InitiatedBy') ??
    {};
  const user = objectField(initiatedBy, 'user');
  const app = objectField(initiatedBy, 'app');
  const result = propertyText(record, properties, 'result', 'Result', 'resultType');
  const { status, detail } = activityStatus(result);

  const actor = emptyActor();
  actor.uid =
    (user === null ? null : stringField(user, 'userPrincipalName', 'id')) ??
    (app === null ? null : stringField(app, 'servicePrincipalName', 'displayName', 'appId'));
  actor.name =
    (user === null ? null : stringField(user, 'displayName', 'userPrincipalName')) ??
    (app === null ? null : stringField(app, 'displayName'));
  if (user !== null && actor.uid !== null) actor.type = 'User';
  else if (app !== null) actor.type = 'Application';
  actor.account = propertyText(record, properties, 'tenantId', 'TenantId', 'AADTenantId');
  const src = endpoint(user === null ? null : stringField(user, 'ipAddress'));
  const targets = arrayField(properties, 'targetResources');
  const resources: Resource[] = (
    targets.length > 0 ? targets : arrayField(record, 'targetResources', 'TargetResources')
  )
    .filter(isObject)
    .flatMap((target) => {
      const uid =
        stringField(target, 'id') ?? stringField(target, 'userPrincipalName', 'displayName');
      return uid === null ? [] : [{ uid, type: stringField(target, 'type') }];
    });
  const lowered = operation?.toLowerCase() ?? '';

  return base(ref, time, 'azure.audit', {
    category: 'identity',
    class_uid: 6003,
    class_name: 'API Activity',
    activity: /^(add|create|register)/.test(lowered)
      ? 'Create'
      : /^(delete|remove)/.test(lowered)
        ? 'Delete'
        : /^(update|set|reset|change|enable|disable)/.test(lowered)
          ? 'Update'
          : 'Other',
    status,
    status_detail: detail ?? propertyText(record, properties, 'resultReason', 'ResultReason'),
    actor,
    src,
    user_agent: null,
    cloud: { provider: 'azure', account: actor.account, region: null },
    api: {
      service: propertyText(record, properties, 'loggedByService', 'LoggedByService'),
      operation: operation?.trim() ?? null,
      request_id:
        propertyText(record, properties, 'id', 'Id') ??
        propertyText(record, properties, 'correlationId', 'CorrelationId'),
      read_only: false,
    },
    resources,
    message: summary(actor.uid, operation?.trim() ?? null, src, detail),
    raw: record,
    ...metadataUid(propertyText(record, properties, 'id', 'Id')),
  });
}

type EventBody = Omit<Event, 'uid' | 'time' | 'source' | 'dst' | 'tags' | 'evidence'>;

/**
 * Returns the id of an Activity Log record: `eventDataId` (`event_data_id` in the SDK's shape),
 * or else the `id` path that contains it, in the `az monitor activity-log list` shape.
 * Diagnostic-settings exports have neither, so their records are identified by `correlationId`
 * and `operationId`, with the status because the started and the finished record of one
 * operation share both.
 */
function activityRecordId(record: JsonObject): string | null {
  const own = stringField(record, 'eventDataId', 'event_data_id', 'EventDataId', 'id', 'Id');
  if (own !== null) return own;

  const correlation = stringField(record, 'correlationId', 'correlation_id', 'CorrelationId');
  if (correlation === null) return null;
  const operation = stringField(record, 'operationId', 'operation_id', 'OperationId');
  const status = stringField(
    record,
    'resultType',
    'status',
    'ActivityStatusValue',
    'ActivityStatus',
  );
  return [correlation, operation, status].filter((part) => part !== null).join('/');
}

function base(ref: EvidenceRef, time: string, source: string, body: EventBody): Event {
  return {
    uid: eventUid(ref),
    time,
    source,
    ...body,
    dst: emptyEndpoint(),
    tags: [],
    evidence: ref,
  };
}

function summary(
  actor: string | null,
  operation: string | null,
  src: Endpoint,
  detail: string | null,
): string {
  const who = clipPart(actor ?? 'unknown caller');
  const what = clipPart(operation ?? 'unknown operation');
  const from = src.ip ?? src.domain;
  const where = from === null ? '' : ` from ${clipPart(from)}`;
  const outcome = detail === null ? '' : ` (${clipPart(detail)})`;
  return `${who} called ${what}${where}${outcome}`;
}

// Module-level rather than closures per record, which the TypeScript loader would name each time.

/** Returns whether the record or its properties have any of `names`. */
function eitherHas(record: JsonObject, properties: JsonObject, ...names: string[]): boolean {
  return field(record, ...names) !== undefined || field(properties, ...names) !== undefined;
}

/** Returns the first string of `names` in the properties, else in the record. */
function propertyText(
  record: JsonObject,
  properties: JsonObject,
  ...names: string[]
): string | null {
  return stringField(properties, ...names) ?? stringField(record, ...names);
}
