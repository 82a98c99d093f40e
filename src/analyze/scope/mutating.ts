/**
 * Whether an API call changed something. Records of some sources carry it (CloudTrail's
 * `readOnly`, GCP's permission type, Kubernetes verbs, S3 access log operations), and for
 * records without it the operation's name decides.
 */

/**
 * Verbs of operations that read or check and change nothing, matched case-insensitively at the
 * start of the operation's last name segment: `ListBuckets`, GCP `storage.objects.get`, Azure
 * `Microsoft.Compute/virtualMachines/read`, GitHub `git.clone`. KMS `Decrypt`, `Encrypt` and
 * `GenerateDataKey` use a key without changing it, and CloudTrail marks them `readOnly: true`.
 */
const READ_VERBS = [
  'get',
  'list',
  'describe',
  'head',
  'lookup',
  'search',
  'scan',
  'query',
  'batchget',
  'select',
  'download',
  'filter',
  'view',
  'read',
  'watch',
  'check',
  'verify',
  'validate',
  'evaluate',
  'estimate',
  'preview',
  'simulate',
  'test',
  'clone',
  'fetch',
  'decrypt',
  'encrypt',
  'generatedatakey',
  'generaterandom',
];

/** S3 access log operations: `REST.<verb>.<target>`. GET and HEAD read. */
const S3_REST = '^(REST|WEBSITE|BATCH)\\.';
const S3_READ = '^(REST|WEBSITE|BATCH)\\.(GET|HEAD|OPTIONS)\\.';

/**
 * Okta event types that sign in, check a policy or hand out a token: they change nothing,
 * though Okta files some of them as API Activity.
 */
const OKTA_SIGN_IN =
  '^(user\\.authentication\\.|user\\.session\\.|policy\\.evaluate|app\\.oauth2\\.)';

/**
 * Builds SQL for the operation's last name segment, lower-cased and without Azure's trailing
 * `/action`, so `storageAccounts/listKeys/action` gives `listkeys`.
 */
function verbSql(operation: string): string {
  return `lower(regexp_extract(regexp_replace(${operation}, '/action$', ''), '([^./:]+)$', 1))`;
}

/** SQL that is true where the operation's name alone marks it as a read. */
export function readByNameSql(operation = 'api_operation'): string {
  return `(regexp_matches(${operation}, '${S3_READ}')
    OR regexp_matches(${operation}, '${OKTA_SIGN_IN}')
    OR (NOT regexp_matches(${operation}, '${S3_REST}')
      AND regexp_matches(${verbSql(operation)}, '^(${READ_VERBS.join('|')})')))`;
}

/**
 * SQL that is true for an API call (OCSF API Activity, class 6003) that changed something: the
 * record's read-only flag where it has one. Without it, a call is a read when its source
 * classed its activity as Read (Microsoft 365 `FileDownloaded`) or its name starts with a read
 * verb. Calls without an operation name are left out, because nothing records what they did.
 */
export function mutatingSql(): string {
  return `(class_uid = 6003 AND api_operation IS NOT NULL
    AND NOT coalesce(api_read_only, coalesce(activity = 'Read', false) OR ${readByNameSql()}))`;
}
