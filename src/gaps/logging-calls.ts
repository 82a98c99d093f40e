/**
 * Reads the calls that stop, delete, narrow or shorten logging from the case: CloudTrail trail
 * changes, S3 lifecycle rules and CloudWatch Logs retention, flow log, GuardDuty, Config and
 * Resolver query log deletions, GCP log sinks, exclusions and buckets, Azure diagnostic settings,
 * the Microsoft 365 audit log switch, Okta log streams and GitHub audit log streams.
 */
import { type DuckDBConnection, DuckDBListValue, type DuckDBValue } from '@duckdb/node-api';
import { shortenedText } from '../core/shortened-text.ts';
import { isObject, type JsonObject, unwrapCloudTrail } from '../sources/cloudtrail-unwrap.ts';
import { checkedStream } from '../store/checked-stream.ts';
import {
  hasRawKeys,
  hasRawParts,
  RAW_READ_RECORDS,
  type RawRef,
  readRawTexts,
} from '../store/raw-parts.ts';
import { OBJECT_DELETIONS } from './log-wipes.ts';

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

// Trail calls that name the bucket CloudTrail delivers to.
const TRAIL_SETUPS = ['createtrail', 'updatetrail'];

// Failed calls changed nothing, so only calls that did not fail are read. `raw` is parsed in
// Node.js because each carrier nests the request differently. The operation names are constants
// of this module, so they are written into the SQL as literals.
function callsSql(operations: readonly string[], rawKey: boolean): string {
  return `SELECT uid, epoch_ms(time) AS t, source, cloud_account AS account,
  cloud_region AS region, api_operation AS operation, coalesce(actor_uid, actor_name) AS actor,
  raw, resources, ${rawKey ? 'raw_key' : 'NULL AS raw_key'}
FROM events
WHERE lower(api_operation) IN (${operations.map((op) => `'${op}'`).join(', ')})
  AND coalesce(status, 'unknown') <> 'failure'`;
}

/**
 * Lists the successful logging calls of the case in time order. Object deletions are kept only
 * from `trailBuckets` and the buckets that trail calls name, with only the bucket and key of
 * their request. They go to `onObjectDeletion` when it is given, and into the list otherwise. The
 * rows stream, so memory grows with the calls listed, not with their records.
 *
 * A case may hold millions of object deletions in a trail bucket: `onObjectDeletion` lets the
 * caller group them while they stream instead of keeping each one.
 */
export async function readLoggingCalls(
  connection: DuckDBConnection,
  trailBuckets: ReadonlySet<string> = new Set(),
  onObjectDeletion?: (call: LoggingCall) => void,
): Promise<LoggingCall[]> {
  const rawKey = await hasRawKeys(connection);
  const buckets = new Set(trailBuckets);
  const setups = (await connection.runAndReadAll(callsSql(TRAIL_SETUPS, rawKey))).getRowObjectsJS();
  const setupRequests = await splitRequests(
    connection,
    setups.filter((row) => row.raw === null),
  );
  for (const row of setups) {
    const request = setupRequests.get(String(row.uid)) ?? callRecord(row).request;
    const bucket = request.s3BucketName;
    if (typeof bucket === 'string' && bucket !== '') buckets.add(bucket);
  }

  // Deletions whose record does not contain a trail bucket's name are left in DuckDB, so that
  // their records are not read at all. Those stored in parts are read and checked here.
  const deletions = [...OBJECT_DELETIONS].map((op) => `'${op}'`).join(', ');
  let relevant = `lower(api_operation) NOT IN (${deletions}) OR raw IS NULL`;
  const params: Record<string, DuckDBValue> = {};
  if (buckets.size > 0) {
    relevant += ' OR len(list_filter($buckets, b -> contains(raw, b))) > 0';
    params.buckets = new DuckDBListValue([...buckets]);
  }
  const sql = `${callsSql(LOGGING_OPERATIONS, rawKey)} AND (${relevant}) ORDER BY time, uid`;
  const rows = checkedStream(
    connection,
    sql,
    params,
    (result) => result.yieldRowObjectJs(),
    'logging calls',
  );
  const calls: LoggingCall[] = [];
  // Calls other than object deletions whose records are stored in parts, with their row. Their
  // requests are read once the stream has ended, because the connection runs one query at a
  // time.
  const split: { call: LoggingCall; row: Record<string, unknown> }[] = [];
  for await (const chunk of rows) {
    for (const row of chunk) {
      const operation = String(row.operation);
      const op = operation.toLowerCase();
      const record = callRecord(row);
      let request = record.request;
      if (OBJECT_DELETIONS.has(op)) {
        const bucketName = deletedBucket(record);
        if (bucketName === null || !buckets.has(bucketName)) continue;
        const { key } = request;
        request = key === undefined ? { bucketName } : { bucketName, key };
      } else request = compactRequest(request);
      const call: LoggingCall = {
        uid: String(row.uid),
        time: new Date(Number(row.t)).toISOString(),
        source: String(row.source),
        account: row.account === null ? null : String(row.account),
        region: row.region === null ? null : String(row.region),
        operation,
        op,
        actor: row.actor === null ? null : String(row.actor),
        request,
      };
      if (onObjectDeletion !== undefined && OBJECT_DELETIONS.has(op)) onObjectDeletion(call);
      else calls.push(call);
      if (row.raw === null && !OBJECT_DELETIONS.has(op)) split.push({ call, row });
    }
  }
  const requests = await splitRequests(
    connection,
    split.map(({ row }) => row),
  );
  for (const { call } of split) call.request = requests.get(call.uid) ?? call.request;

  return calls;
}

/**
 * Reads the requests of the calls in `rows` whose records are stored in parts, keyed by uid,
 * each compacted by `compactRequest`. The records are read `RAW_READ_RECORDS` at a time, so
 * only one batch of records is in memory, besides the compacted requests.
 */
async function splitRequests(
  connection: DuckDBConnection,
  rows: readonly Record<string, unknown>[],
): Promise<Map<string, JsonObject>> {
  const requests = new Map<string, JsonObject>();
  if (rows.length === 0 || !(await hasRawParts(connection))) return requests;

  for (let start = 0; start < rows.length; start += RAW_READ_RECORDS) {
    const batch = rows.slice(start, start + RAW_READ_RECORDS);
    const refs: RawRef[] = batch.map((row) => ({
      uid: String(row.uid),
      key: row.raw_key === null || row.raw_key === undefined ? null : BigInt(row.raw_key as bigint),
    }));
    const texts = await readRawTexts(connection, refs, true);
    for (const row of batch) {
      const uid = String(row.uid);
      const text = texts.get(uid);
      if (text === undefined) continue;
      requests.set(uid, compactRequest(recordOf(String(row.source), text).request));
    }
  }
  return requests;
}

/**
 * Returns the request and resources of a listed call. A record stored in parts has `raw` NULL
 * in its row, so such a call gets its stored resources, which name the bucket of a deletion,
 * and an empty request, which `splitRequests` fills in for calls other than object deletions.
 * Deletions are not read whole, because a case may hold millions of them: a deletion whose
 * user agent alone fills 16 KB is seen by its stored resources.
 */
function callRecord(row: Record<string, unknown>): CallRecord {
  if (row.raw !== null) return recordOf(String(row.source), row.raw);
  let resources: unknown = [];
  try {
    resources = JSON.parse(String(row.resources));
  } catch {
    // The ingest wrote the column as JSON, so this is not expected. Such a row names no bucket.
  }
  return { request: {}, resources: Array.isArray(resources) ? resources : [] };
}

/** Maximum length of a string of a listed call's request; a longer one is shortened. */
const MAX_REQUEST_TEXT = 1024;

/**
 * Maximum size of a listed call's compacted request, counted as the code units of its strings
 * and keys, each at most MAX_REQUEST_TEXT, plus one for each other value. A request of a record stored whole, at most 16,384 code
 * units of JSON, always fits, while a record stored in parts may hold far more.
 */
const MAX_REQUEST_UNITS = 16_384;

/**
 * Returns a copy of `request` with each string and key over MAX_REQUEST_TEXT shortened to its
 * start, length and digest (see `shortenedText`), so that equal strings stay equal and distinct
 * ones distinct. Past MAX_REQUEST_UNITS, an array ends with a string that counts the items left
 * out, and an object with a `…` key that counts the keys left out. The calls stay listed to the
 * end of the checks: 10,000 StopLogging calls of 15 KB each held 237 MB of heap.
 *
 * Values are kept level by level, and within a level the first item of every array and object
 * before the second of any. So a long list is cut before any field nearer the top of the
 * request, such as the `includeManagementEvents` of a later event selector.
 */
function compactRequest(request: JsonObject): JsonObject {
  const kept = keptCounts(request);
  return compactValue(request, kept) as JsonObject;
}

type Container = JsonObject | unknown[];

function childrenOf(container: Container): [string | null, unknown][] {
  if (Array.isArray(container)) return container.map((item) => [null, item]);
  return Object.entries(container);
}

function isContainer(value: unknown): value is Container {
  return Array.isArray(value) || isObject(value);
}

// Code units that a kept key and value add: the shortened strings, or one for another value.
function unitsOf(key: string | null, value: unknown): number {
  const keyUnits = key === null ? 0 : Math.min(key.length, MAX_REQUEST_TEXT);
  if (typeof value === 'string') return keyUnits + Math.min(value.length, MAX_REQUEST_TEXT);
  return keyUnits + 1;
}

/**
 * Counts, for each array and object of `request` that is kept, how many of its first items or
 * keys are kept within MAX_REQUEST_UNITS, going breadth first and taking the n-th children of a
 * level together. The kept children of a container are always its first ones.
 */
function keptCounts(request: JsonObject): Map<Container, number> {
  const kept = new Map<Container, number>([[request, 0]]);
  let left = MAX_REQUEST_UNITS - 1;
  let level: Container[] = [request];
  while (level.length > 0 && left > 0) {
    const next: Container[] = [];
    let active = level.map((container) => ({ container, children: childrenOf(container) }));
    for (let index = 0; active.length > 0 && left > 0; index += 1) {
      active = active.filter(({ children }) => index < children.length);
      for (const { container, children } of active) {
        if (left <= 0) break;
        const [key, value] = children[index] as [string | null, unknown];
        left -= unitsOf(key, value);
        kept.set(container, index + 1);
        if (isContainer(value)) {
          kept.set(value, 0);
          next.push(value);
        }
      }
    }
    level = next;
  }
  return kept;
}

function compactValue(value: unknown, kept: ReadonlyMap<Container, number>): unknown {
  if (typeof value === 'string') return shortText(value);
  if (!isContainer(value)) return value;

  const count = kept.get(value) ?? 0;
  if (Array.isArray(value)) {
    const items = value.slice(0, count).map((item) => compactValue(item, kept));
    if (count < value.length) items.push(`…(${value.length - count} more items)`);
    return items;
  }
  // fromEntries defines each key as an own property, a `__proto__` key of the log included.
  const entries = Object.entries(value);
  const pairs: [string, unknown][] = entries
    .slice(0, count)
    .map(([key, item]) => [shortText(key), compactValue(item, kept)]);
  if (count < entries.length) pairs.push(['…', `(${entries.length - count} more keys)`]);
  return Object.fromEntries(pairs);
}

function shortText(text: string): string {
  return shortenedText(text, MAX_REQUEST_TEXT, MAX_REQUEST_TEXT - 128);
}

/** The request of a call and, for CloudTrail, the resources its record lists. */
interface CallRecord {
  request: JsonObject;
  /** CloudTrail `resources` (`{ARN, type}`), then the carrier's resources (`{uid, type}`). */
  resources: unknown[];
}

function recordOf(source: string, rawText: unknown): CallRecord {
  let raw: unknown;
  try {
    raw = typeof rawText === 'string' ? JSON.parse(rawText) : rawText;
  } catch {
    return { request: {}, resources: [] };
  }
  if (source === 'aws.cloudtrail') {
    const unwrapped = unwrapCloudTrail(raw);
    if ('code' in unwrapped) return { request: {}, resources: [] };
    const { requestParameters, resources } = unwrapped.record;
    return {
      request: isObject(requestParameters) ? requestParameters : {},
      resources: [...(Array.isArray(resources) ? resources : []), ...unwrapped.resources],
    };
  }
  return { request: requestOf(raw), resources: [] };
}

function requestOf(raw: unknown): JsonObject {
  if (!isObject(raw)) return {};
  const payload = raw.protoPayload;
  if (isObject(payload) && isObject(payload.request)) return payload.request;
  if (isObject(raw.properties)) return raw.properties;
  if (Array.isArray(raw.Parameters)) return m365Parameters(raw.Parameters);

  return raw;
}

// S3 data events name the bucket in `requestParameters.bucketName` and list it in `resources`
// as an `AWS::S3::Bucket` ARN, with the objects as an `AWS::S3::Object` ARN or, for
// DeleteObjects, an `ARNPrefix` of `arn:aws:s3:::bucket/`. Some exports drop or flatten
// `requestParameters`, so the resources name the bucket when the request does not.
function deletedBucket(record: CallRecord): string | null {
  const named = record.request.bucketName;
  if (typeof named === 'string' && named !== '') return named;
  for (const resource of record.resources) {
    if (!isObject(resource)) continue;
    const bucket =
      s3BucketOf(resource.ARN) ?? s3BucketOf(resource.ARNPrefix) ?? s3BucketOf(resource.uid);
    if (bucket !== null) return bucket;
    // A carrier's resource names a bucket without an ARN.
    if (resource.type === 'AWS::S3::Bucket' && typeof resource.uid === 'string' && resource.uid)
      return resource.uid;
  }
  return null;
}

// The bucket of an S3 bucket or object ARN, in any partition (aws, aws-cn, aws-us-gov).
function s3BucketOf(arn: unknown): string | null {
  if (typeof arn !== 'string') return null;
  const match = /^arn:[a-z-]+:s3:::([^/]+)/.exec(arn);
  return match?.[1] ?? null;
}

// Microsoft 365 lists cmdlet parameters as `[{Name, Value}]`.
function m365Parameters(list: unknown[]): JsonObject {
  const out: JsonObject = {};
  for (const item of list) {
    if (isObject(item) && typeof item.Name === 'string') out[item.Name] = item.Value;
  }
  return out;
}
