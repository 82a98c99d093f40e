/**
 * SQL fragments over the `events` table shared by entity extraction and scoping. Each is a
 * plain expression or SELECT, so a caller can inline it into a larger statement.
 */

/** Operations whose successful response hands out a new access key. */
export const KEY_CREATING_OPERATIONS = [
  'AssumeRole',
  'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity',
  'GetSessionToken',
  'GetFederationToken',
  'CreateAccessKey',
] as const;

/**
 * Operations that create a principal or give one a way in, each naming it in the response.
 * Assumed-role sessions are left out: a session name can be reused by later, unrelated
 * sessions, while the key that an STS call returned is unique to its session.
 */
export const PRINCIPAL_CREATING_OPERATIONS = [
  'CreateUser',
  'CreateLoginProfile',
  'GetFederationToken',
] as const;

const quoted = (names: readonly string[]): string => names.map((n) => `'${n}'`).join(', ');

/** `IN (...)` list of `KEY_CREATING_OPERATIONS`. */
export const KEY_CREATING_IN = `(${quoted(KEY_CREATING_OPERATIONS)})`;
/** `IN (...)` list of `PRINCIPAL_CREATING_OPERATIONS`. */
export const PRINCIPAL_CREATING_IN = `(${quoted(PRINCIPAL_CREATING_OPERATIONS)})`;

/**
 * The fields that entity extraction reads from an original CloudTrail record, in the order of
 * the list `ISSUED_FIELDS_SQL` returns. They are parsed at once, because DuckDB keeps each
 * record a call parses for the rest of the vector: three calls over 5,000 records of 15 KB ran
 * out of the case's 256 MB.
 */
const ISSUED_FIELDS = [
  '$.responseElements.credentials.accessKeyId',
  '$.responseElements.accessKey.accessKeyId',
  '$.responseElements.user.arn',
  '$.responseElements.federatedUser.arn',
  '$.requestParameters.userName',
  '$.userIdentity.sessionContext.attributes.creationDate',
];

/** The list of `ISSUED_FIELDS` of the record in `raw`, as text. */
export const ISSUED_FIELDS_SQL = `json_extract_string(raw, [${ISSUED_FIELDS.map((path) => `'${path}'`).join(', ')}])`;

/** The key id a successful creating call returned, from the fields in the list `fields`. */
export const CREATED_KEY_SQL = 'coalesce(fields[1], fields[2])';

/**
 * The principal ARN a successful creating call returned: the new user or the federated user. A
 * login profile names only the user, whose ARN is built from the caller's account.
 */
export const CREATED_PRINCIPAL_SQL = `coalesce(fields[3], fields[4],
  CASE WHEN api_operation = 'CreateLoginProfile' AND cloud_account IS NOT NULL
    THEN 'arn:aws:iam::' || cloud_account || ':user/' || fields[5] END)`;

/** The creation time of the session that signed a call, from the list `fields`. */
export const SESSION_CREATED_SQL = 'try_cast(fields[6] AS TIMESTAMP)';

/**
 * Source of an event: its source IP address. For a call an AWS service made on the principal's
 * behalf, it is `service:` and the service name, otherwise `agent:` and the user agent's first
 * product token in lower case. It is `NULL` when the log records none of these.
 */
export const SOURCE_SQL = `coalesce(src_ip, 'service:' || src_domain,
  'agent:' || nullif(lower(regexp_extract(ltrim(user_agent, '['), '^[^/ (;,\\]]+')), ''))`;

/** Kind of an identity from its actor type and uid. */
export const IDENTITY_KIND_SQL = `CASE
  WHEN t = 'Root' OR uid LIKE 'arn:aws:iam::%:root' THEN 'root'
  WHEN t = 'AssumedRole' OR uid LIKE 'arn:aws:sts::%:assumed-role/%' THEN 'assumed_role_session'
  WHEN t = 'FederatedUser' OR uid LIKE 'arn:aws:sts::%:federated-user/%' THEN 'federated_user'
  WHEN t = 'AWSService' OR uid LIKE '%.amazonaws.com' THEN 'service'
  WHEN uid LIKE 'system:serviceaccount:%' OR uid LIKE '%.gserviceaccount.com'
    OR lower(t) LIKE '%serviceaccount%' OR lower(t) LIKE '%serviceprincipal%' THEN 'service_account'
  WHEN uid LIKE 'arn:aws:iam::%:role/%' THEN 'role'
  ELSE 'user' END`;

/**
 * The role ARN behind an assumed-role session ARN
 * (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` gives `arn:aws:iam::ACCOUNT:role/ROLE`).
 */
export const ROLE_OF_SESSION_SQL = `regexp_replace(uid,
  '^arn:(aws[a-z-]*):sts::([0-9]+):assumed-role/([^/]+)/.*$', 'arn:\\1:iam::\\2:role/\\3')`;

/**
 * The lower-case email an identity stands for: the uid or name when it is an address, or the
 * session name of an assumed-role session named after one (as Identity Center names them). An
 * Entra guest's UPN (`frank_partner.example#EXT#@contoso.onmicrosoft.com`) stands for its home
 * address (`frank@partner.example`). A guest whose local part contains `_` is ambiguous in that
 * form, so the last `_` is taken as the `@`.
 */
export const PERSON_SQL = `lower(CASE
  WHEN regexp_matches(uid, '^[^@/: #]+_[^@/: #_]+\\.[^@/: #_]+#EXT#@', 'i')
    THEN regexp_replace(uid, '^([^@/: #]+)_([^@/: #_]+\\.[^@/: #_]+)#EXT#@.*$', '\\1@\\2', 'i')
  WHEN uid NOT LIKE 'arn:%' AND regexp_matches(uid, '^[^@/: ]+@[^@/: ]+\\.[^@/: ]+$') THEN uid
  WHEN regexp_matches(uid, '^arn:aws[a-z-]*:sts::[0-9]+:assumed-role/[^/]+/[^/@]+@[^/@]+$')
    THEN regexp_extract(uid, '/([^/]+)$', 1)
  WHEN regexp_matches(name, '^[^@/: ]+@[^@/: ]+\\.[^@/: ]+$') THEN name
  END)`;

/** Kind of an IP address: `private` for RFC 1918, loopback, link-local and ULA, else `public`. */
export const IP_KIND_SQL = `CASE
  WHEN regexp_matches(ip, '^(10\\.|127\\.|169\\.254\\.|192\\.168\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.)')
    OR regexp_matches(lower(ip), '^(::1$|f[cd]|fe80:)') THEN 'private'
  ELSE 'public' END`;
