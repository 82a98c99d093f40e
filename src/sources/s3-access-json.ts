/**
 * S3 server access log records as JSON, in the lower-case field names that Panther's
 * `AWS.S3ServerAccess` log type uses (`bucketowner`, `remoteip`, `httpstatus`), with numbers for
 * the numeric fields and the time as `2020-02-14 00:53:48.000000000` in UTC.
 */

/** Panther's JSON field names, mapped to the names of the text fields. */
const JSON_NAMES = new Map([
  ['bucketowner', 'bucket_owner'],
  ['bucket', 'bucket'],
  ['time', 'time'],
  ['remoteip', 'remote_ip'],
  ['requester', 'requester'],
  ['requestid', 'request_id'],
  ['operation', 'operation'],
  ['key', 'key'],
  ['requesturi', 'request_uri'],
  ['httpstatus', 'http_status'],
  ['errorcode', 'error_code'],
  ['bytessent', 'bytes_sent'],
  ['objectsize', 'object_size'],
  ['totaltime', 'total_time'],
  ['turnaroundtime', 'turn_around_time'],
  ['referrer', 'referrer'],
  ['useragent', 'user_agent'],
  ['versionid', 'version_id'],
  ['hostid', 'host_id'],
  ['signatureversion', 'signature_version'],
  ['ciphersuite', 'cipher_suite'],
  ['authenticationtype', 'authentication_type'],
  ['hostheader', 'host_header'],
  ['tlsversion', 'tls_version'],
  ['accesspointarn', 'access_point_arn'],
  ['aclrequired', 'acl_required'],
]);

const MARKERS = [/"bucketowner"\s*:/, /"operation"\s*:\s*"(REST|S3|BATCH|WEBSITE|SOAP)\./];

/** Scores how much the first bytes of a JSON stream look like access log records. */
export function sniffS3AccessJson(textHead: string): number {
  return MARKERS.every((marker) => marker.test(textHead)) ? 0.85 : 0;
}

/**
 * Maps a JSON access log record to the text fields it renders, such as `remote_ip`, with numbers
 * written as text. Returns `null` when the record has none of the fields.
 */
export function fieldsOfJson(record: Record<string, unknown>): Record<string, string> | null {
  const fields: Record<string, string> = {};
  let found = 0;
  for (const [key, value] of Object.entries(record)) {
    const name = JSON_NAMES.get(key.toLowerCase());
    if (name === undefined) continue;
    if (typeof value === 'string') fields[name] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) fields[name] = String(value);
    else continue;
    found++;
  }
  return found === 0 ? null : fields;
}
