/**
 * Builds one CloudTrail record (event version 1.09) from a description of the API call, with
 * fields in the order CloudTrail writes them.
 */
import { ACCOUNT_ID } from './environment.ts';
import type { UserIdentity } from './identity.ts';
import type { Random } from './random.ts';

/** One CloudTrail record as written to a delivery file. */
export type CloudTrailRecord = Record<string, unknown> & {
  eventTime: string;
  eventID: string;
  awsRegion: string;
};

/** What a caller states about one API call; the builder fills in ids and envelope fields. */
export interface ApiCall {
  /** Instant of the call, in milliseconds since the epoch. */
  time: number;
  identity: UserIdentity;
  /** Service endpoint, such as `iam.amazonaws.com`. */
  source: string;
  name: string;
  region: string;
  /** Caller address, or the calling service's name when a service acts. */
  ip: string;
  userAgent: string;
  readOnly: boolean;
  request?: Record<string, unknown> | null;
  response?: Record<string, unknown> | null;
  error?: { code: string; message: string };
  additional?: Record<string, unknown>;
  resources?: Record<string, unknown>[];
  /** `Data` for S3 object-level calls; management otherwise. */
  category?: 'Management' | 'Data';
  eventType?: 'AwsApiCall' | 'AwsConsoleSignIn' | 'AwsServiceEvent';
  vpcEndpointId?: string;
  /** TLS host header; defaults to the regional endpoint of `source`. */
  host?: string;
  /** Set for calls the console made on a signed-in user's behalf. */
  fromConsole?: boolean;
}

/** Services whose API has one global endpoint, logged in us-east-1. */
const GLOBAL_SERVICES = new Set(['iam.amazonaws.com', 'signin.amazonaws.com']);

/** Formats an instant the way CloudTrail writes `eventTime`: seconds precision, `Z` suffix. */
export function cloudTrailTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Builds the record for one API call, drawing its request and event ids from `rng`. */
export function buildRecord(rng: Random, call: ApiCall): CloudTrailRecord {
  const record: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: call.identity,
    eventTime: cloudTrailTime(call.time),
    eventSource: call.source,
    eventName: call.name,
    awsRegion: call.region,
    sourceIPAddress: call.ip,
    userAgent: call.userAgent,
  };
  if (call.error !== undefined) {
    record.errorCode = call.error.code;
    record.errorMessage = call.error.message;
  }
  Object.assign(record, requestPart(rng, call));
  record.eventID = rng.uuid();
  Object.assign(record, envelopePart(call));

  return record as CloudTrailRecord;
}

function requestPart(rng: Random, call: ApiCall): Record<string, unknown> {
  const part: Record<string, unknown> = {
    requestParameters: call.request ?? null,
    responseElements: call.response ?? null,
  };
  if (call.additional !== undefined) part.additionalEventData = call.additional;
  // S3 request ids are 16 upper-case characters; other services use UUIDs.
  part.requestID =
    call.source === 's3.amazonaws.com' ? rng.chars(16, '0123456789ABCDEF') : rng.uuid();

  return part;
}

function envelopePart(call: ApiCall): Record<string, unknown> {
  const category = call.category ?? 'Management';
  const part: Record<string, unknown> = { readOnly: call.readOnly };
  if (call.resources !== undefined) part.resources = call.resources;
  part.eventType = call.eventType ?? 'AwsApiCall';
  part.managementEvent = category === 'Management';
  part.recipientAccountId = ACCOUNT_ID;
  if (call.vpcEndpointId !== undefined) part.vpcEndpointId = call.vpcEndpointId;
  part.eventCategory = category;
  // A service calling from inside AWS has no TLS session of its own to report.
  if (!call.ip.endsWith('.amazonaws.com')) part.tlsDetails = tlsDetails(call);
  if (call.fromConsole) part.sessionCredentialFromConsole = 'true';

  return part;
}

function tlsDetails(call: ApiCall): Record<string, unknown> {
  const service = call.source.replace('.amazonaws.com', '');
  const host =
    call.host ??
    (GLOBAL_SERVICES.has(call.source) ? call.source : `${service}.${call.region}.amazonaws.com`);
  return {
    tlsVersion: 'TLSv1.3',
    cipherSuite: 'TLS_AES_128_GCM_SHA256',
    clientProvidedHostHeader: host,
  };
}
