/**
 * Reads the calls that stop, delete, narrow or shorten logging from the case: CloudTrail trail
 * changes, S3 lifecycle rules and CloudWatch Logs retention, flow log, GuardDuty, Config and
 * Resolver query log deletions, GCP log sinks, exclusions and buckets, Azure diagnostic settings,
 * the Microsoft 365 audit log switch, Okta log streams and GitHub audit log streams.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { isObject, type JsonObject, unwrapCloudTrail } from '../sources/cloudtrail-unwrap.ts';

/** One successful call that may change what is logged, with the fields the windows need. */
export interface LoggingCall {
  uid: string;
  time: string;
  source: string;
  account: string | null;
  region: string | null;
  /** The API operation as logged, such as `StopLogging`. */
  operation: string;
  /** Lower-case operation, for matching. */
  op: string;
  actor: string | null;
  /** The request parameters: CloudTrail `requestParameters`, GCP `protoPayload.request`. */
  request: JsonObject;
}

/** Lower-case names of every operation the windows look at. */
export const LOGGING_OPERATIONS: readonly string[] = [
  'stoplogging',
  'startlogging',
  'deletetrail',
  'createtrail',
  'updatetrail',
  'puteventselectors',
  'putinsightselectors',
  'putbucketlifecycle',
  'putbucketlifecycleconfiguration',
  'deletebucket',
  'deleteobject',
  'deleteobjects',
  'putretentionpolicy',
  'deleteloggroup',
  'deletelogstream',
  'deleteflowlogs',
  'createflowlogs',
  'deletedetector',
  'createdetector',
  'updatedetector',
  'stopconfigurationrecorder',
  'startconfigurationrecorder',
  'deleteconfigurationrecorder',
  'deletedeliverychannel',
  'deleteresolverquerylogconfig',
  'disassociateresolverquerylogconfig',
  'google.logging.v2.configservicev2.deletesink',
  'google.logging.v2.configservicev2.updatesink',
  'google.logging.v2.configservicev2.createexclusion',
  'google.logging.v2.configservicev2.updateexclusion',
  'google.logging.v2.configservicev2.updatebucket',
  'google.logging.v2.configservicev2.deletebucket',
  'microsoft.insights/diagnosticsettings/delete',
  'microsoft.insights/logprofiles/delete',
  'set-adminauditlogconfig',
  'system.log_stream.lifecycle.deactivate',
  'system.log_stream.lifecycle.delete',
  'audit_log_streaming.destroy',
];

// Failed calls changed nothing, so only calls that did not fail are read. `raw` is parsed in
// Node.js because each carrier nests the request differently; these calls are few. The
// operation names are constants of this module, so they are written into the SQL as literals.
const SQL = `SELECT uid, epoch_ms(time) AS t, source, cloud_account AS account,
  cloud_region AS region, api_operation AS operation, coalesce(actor_uid, actor_name) AS actor, raw
FROM events
WHERE lower(api_operation) IN (${LOGGING_OPERATIONS.map((op) => `'${op}'`).join(', ')})
  AND coalesce(status, 'unknown') <> 'failure'
ORDER BY time, uid`;

/** Lists the successful logging calls of the case in time order. */
export async function readLoggingCalls(connection: DuckDBConnection): Promise<LoggingCall[]> {
  const reader = await connection.runAndReadAll(SQL);

  return reader.getRowObjectsJS().map((row) => {
    const operation = String(row.operation);
    return {
      uid: String(row.uid),
      time: new Date(Number(row.t)).toISOString(),
      source: String(row.source),
      account: row.account === null ? null : String(row.account),
      region: row.region === null ? null : String(row.region),
      operation,
      op: operation.toLowerCase(),
      actor: row.actor === null ? null : String(row.actor),
      request: requestOf(String(row.source), row.raw),
    };
  });
}

function requestOf(source: string, rawText: unknown): JsonObject {
  let raw: unknown;
  try {
    raw = typeof rawText === 'string' ? JSON.parse(rawText) : rawText;
  } catch {
    return {};
  }
  if (source === 'aws.cloudtrail') {
    const unwrapped = unwrapCloudTrail(raw);
    if ('code' in unwrapped) return {};
    const request = unwrapped.record.requestParameters;
    return isObject(request) ? request : {};
  }
  if (!isObject(raw)) return {};
  const payload = raw.protoPayload;
  if (isObject(payload) && isObject(payload.request)) return payload.request;
  if (isObject(raw.properties)) return raw.properties;
  if (Array.isArray(raw.Parameters)) return m365Parameters(raw.Parameters);

  return raw;
}

// Microsoft 365 lists cmdlet parameters as `[{Name, Value}]`.
function m365Parameters(list: unknown[]): JsonObject {
  const out: JsonObject = {};
  for (const item of list) {
    if (isObject(item) && typeof item.Name === 'string') out[item.Name] = item.Value;
  }
  return out;
}
