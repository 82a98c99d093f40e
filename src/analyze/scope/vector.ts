/**
 * Attack vector: for each credential the scope's activity used but did not create, the
 * earliest suspicious activity and a verdict on how the intruder got in, with its evidence.
 */
import { isIP } from 'node:net';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SOURCE_SQL } from '../entities/sql.ts';
import { TIME_THEN_UID } from '../sql-values.ts';
import { createDetected, detectedSql, hasAnomalies, signalSql } from './signals.ts';
import type { AttackVector, VectorVerdict } from './types.ts';
import { iso, type Row, rows, text } from './values.ts';

/** Credentials judged at most, those with the earliest suspicious activity first. */
const MAX_CREDENTIALS = 20;
/** Supporting events listed per verdict at most. */
const MAX_EVIDENCE = 10;

// A user agent of a workstation or an attack distribution, not of a server in a cloud.
const WORKSTATION_AGENT = "'(darwin|windows|macintosh|mac os|kali|parrot)'";
// Session name EC2 gives the role session of an instance profile: the instance id.
const INSTANCE_SESSION = /\/i-[0-9a-f]{8,17}$/;

// A successful sign-in through an identity provider that federates into the cloud.
const FEDERATED_SIGN_IN = `source IN ('okta.system', 'azure.signin', 'gcp.audit')
  AND category = 'identity' AND status = 'success'`;
/** Federated sign-ins of one credential checked against its anomalies at most. */
const MAX_SIGN_INS = 100;

// A column of a credential's first flagged event, or of its first event when none is flagged.
const firstOf = (column: string) =>
  `coalesce(arg_min(${column}, ${TIME_THEN_UID}) FILTER (flagged), arg_min(${column}, ${TIME_THEN_UID}))`;

const CREDENTIALS = `WITH s AS (
  SELECT e.*, ${SOURCE_SQL} AS src, ${signalSql('e')} AS flagged, ${detectedSql('e')} AS detected
  FROM events e WHERE e.uid IN (SELECT uid FROM scope_events)
    AND (e.actor_uid IS NOT NULL OR e.actor_type = 'Anonymous')
),
taken AS (
  SELECT * FROM s
  WHERE (actor_access_key IS NULL
      OR actor_access_key NOT IN (SELECT value FROM scope_grants WHERE kind = 'key'))
    AND (actor_uid IS NULL
      OR actor_uid NOT IN (SELECT value FROM scope_grants WHERE kind = 'principal'))
),
-- A sign-in counts only from a source with a sign on it, unless the credential has no sign at
-- all: with --all the scope keeps the owner's sign-ins, which say nothing of the intruder's.
grouped AS (
  SELECT *, CASE WHEN actor_access_key IS NULL THEN coalesce(actor_uid, actor_type) END AS g
  FROM taken
),
entry AS (
  SELECT *, bool_or(flagged) OVER (PARTITION BY actor_access_key, g, src)
      OR NOT bool_or(flagged) OVER (PARTITION BY actor_access_key, g) AS signed_source
  FROM grouped
)
SELECT actor_access_key AS k, mode(actor_uid) AS principal, any_value(actor_type) AS t,
  list(DISTINCT source) AS sources,
  epoch_ms(coalesce(min(time) FILTER (flagged), min(time))) AS t0,
  ${firstOf('uid')} AS first_uid,
  ${firstOf('api_operation')} AS first_op,
  ${firstOf('src')} AS first_src,
  ${firstOf('status')} AS first_status,
  list(uid ORDER BY time, uid) FILTER (flagged) AS flagged_uids,
  bool_or(detected) AS detected,
  bool_or(regexp_matches(lower(user_agent), ${WORKSTATION_AGENT})) AS workstation,
  bool_or(src_ip IS NOT NULL) AS from_address,
  arg_min(uid, ${TIME_THEN_UID}) FILTER (api_operation = 'ConsoleLogin' AND status = 'success'
    AND actor_mfa = false AND signed_source) AS login_uid,
  count(*) FILTER (api_operation = 'ConsoleLogin' AND status = 'failure'
    AND signed_source) AS failed_logins,
  list_slice(list(uid ORDER BY time, uid) FILTER (${FEDERATED_SIGN_IN}), 1, ${MAX_SIGN_INS})
    AS federated_uids,
  arg_min(uid, ${TIME_THEN_UID}) FILTER (actor_type IN ('AWSAccount', 'Anonymous', 'anonymous')
    OR lower(actor_uid) IN ('anonymous', '-', 'anonymous principal')) AS anonymous_uid
FROM entry
GROUP BY actor_access_key, g
HAVING bool_or(status = 'success')
ORDER BY t0, k, principal LIMIT ${MAX_CREDENTIALS}`;

/**
 * Judges every credential the scope used but did not create. A credential whose every call in
 * the scope failed was tried, not taken, and gets no verdict.
 */
export async function attackVectors(connection: DuckDBConnection): Promise<AttackVector[]> {
  const vectors: AttackVector[] = [];
  const baselined = await hasAnomalies(connection);
  await createDetected(connection);
  for (const row of await rows(connection, CREDENTIALS)) {
    const key = text(row.k);
    const origin = key === null ? null : await originOf(connection, key);
    const prior = await priorUse(connection, row, key);
    const signIns = federatedSignIns(row, origin);
    const anomaly =
      baselined && signIns.length > 0 ? await signInAnomaly(connection, signIns) : null;
    vectors.push(await withEarlierFailures(connection, judge(row, key, origin, prior, anomaly)));
  }

  return vectors;
}

// Failed calls and sign-ins of the case from an address before a time, and the first of them.
const EARLIER_FAILURES = `SELECT count(*) AS n, arg_min(uid, (time, uid)) AS uid,
    epoch_ms(min(time)) AS t, arg_min(api_operation, (time, uid)) AS op,
    arg_min(actor_uid, (time, uid)) AS actor, arg_min(source, (time, uid)) AS source
  FROM events
  WHERE src_ip = $ip AND status = 'failure' AND epoch_ms(time) < $before`;

/**
 * Adds to a verdict the failed attempts that the address of its first suspicious event made
 * earlier, such as failed sign-ins to an identity provider. Earlier successful use is left
 * out: a shared or masked address would tie the owner's own work to the intruder.
 */
async function withEarlierFailures(
  connection: DuckDBConnection,
  vector: AttackVector,
): Promise<AttackVector> {
  const address = vector.first_suspicious.source;
  if (address === null || isIP(address) === 0) return vector;
  const [row] = await rows(connection, EARLIER_FAILURES, {
    ip: address,
    before: Date.parse(vector.first_suspicious.time),
  });
  const failures = Number(row?.n ?? 0);
  if (row === undefined || failures === 0) return vector;

  const by = row.actor === null ? '' : ` by ${String(row.actor)}`;
  const attempts = failures === 1 ? 'one failed attempt' : `${failures} failed attempts`;
  const summary =
    `${vector.summary} The address ${address} made ${attempts} before its first suspicious ` +
    `event, the first at ${iso(row.t)}: ${text(row.op) ?? 'an event'}${by} in ` +
    `${String(row.source)}.`;
  const evidence = [...new Set([...vector.evidence, String(row.uid)])].slice(0, MAX_EVIDENCE);
  return { ...vector, summary, evidence };
}

/** A baseline anomaly that a federated sign-in is part of. */
interface SignInAnomaly {
  kind: string;
  value: string;
  explanation: string;
  /** The sign-in event that the anomaly lists, with its time, operation and source. */
  event_uid: string;
  time: string;
  operation: string | null;
  status: string | null;
  source: string | null;
}

/**
 * Kinds of anomaly that make a federated sign-in suspicious: a source address, network,
 * country or user agent the identity had not used, an unusual hour, or impossible travel.
 */
const SIGN_IN_ANOMALIES = `('new_source_ip', 'new_network', 'new_country', 'new_user_agent',
  'unusual_hour', 'impossible_travel')`;

// Riskier kinds first, then the earliest.
const SIGN_IN_ANOMALY = `WITH signed_in AS (
    SELECT uid, time, api_operation, status, ${SOURCE_SQL} AS src FROM events
    WHERE uid IN (SELECT unnest(from_json($uids, '["VARCHAR"]')))
  )
  SELECT a.kind, a.value, a.explanation, a.uid, epoch_ms(e.time) AS t, e.api_operation AS op,
    e.status, e.src
  FROM (
    SELECT kind, value, explanation, first_seen, unnest(event_uids) AS uid
    FROM anomalies WHERE kind IN ${SIGN_IN_ANOMALIES}
  ) a JOIN signed_in e ON e.uid = a.uid
  ORDER BY CASE a.kind WHEN 'impossible_travel' THEN 0 WHEN 'new_country' THEN 1
    WHEN 'new_network' THEN 2 WHEN 'unusual_hour' THEN 3 WHEN 'new_user_agent' THEN 4
    ELSE 5 END, a.first_seen, a.uid
  LIMIT 1`;

// The sign-ins of a credential: its federated sign-ins in scope, and the AssumeRoleWithSAML
// or AssumeRoleWithWebIdentity call that created its key.
function federatedSignIns(row: Row, origin: Origin | null): string[] {
  const uids = Array.isArray(row.federated_uids) ? row.federated_uids.map(String) : [];
  if (isFederatedOrigin(origin) && origin?.uid) uids.push(origin.uid);

  return uids;
}

function isFederatedOrigin(origin: Origin | null): boolean {
  const operation = origin?.operation;
  return operation === 'AssumeRoleWithSAML' || operation === 'AssumeRoleWithWebIdentity';
}

async function signInAnomaly(
  connection: DuckDBConnection,
  signIns: readonly string[],
): Promise<SignInAnomaly | null> {
  const [row] = await rows(connection, SIGN_IN_ANOMALY, { uids: JSON.stringify(signIns) });
  if (row === undefined) return null;

  return {
    kind: String(row.kind),
    value: String(row.value),
    explanation: String(row.explanation),
    event_uid: String(row.uid),
    time: iso(row.t),
    operation: text(row.op),
    status: text(row.status),
    source: text(row.src),
  };
}

interface Origin {
  uid: string | null;
  operation: string | null;
  actor: string | null;
}

async function originOf(connection: DuckDBConnection, key: string): Promise<Origin | null> {
  const [row] = await rows(
    connection,
    'SELECT origin_uid, origin_operation, origin_actor FROM credentials WHERE access_key = $k',
    { k: key },
  );
  if (row === undefined || row.origin_uid === null) return null;

  return {
    uid: text(row.origin_uid),
    operation: text(row.origin_operation),
    actor: text(row.origin_actor),
  };
}

// Earlier successful events of the same credential from other sources: its usual activity.
async function priorUse(
  connection: DuckDBConnection,
  row: Row,
  key: string | null,
): Promise<number> {
  const [found] = await rows(
    connection,
    `SELECT count(*) AS n FROM events
     WHERE ${key === null ? 'actor_uid = $v' : 'actor_access_key = $v'}
       AND epoch_ms(time) < $t0 AND status = 'success'
       AND ${SOURCE_SQL} IS DISTINCT FROM $src`,
    { v: key ?? String(row.principal), t0: Number(row.t0), src: text(row.first_src) },
  );
  return Number(found?.n ?? 0);
}

/** Facts about one credential that the verdict checks read. */
interface Facts {
  row: Row;
  key: string | null;
  principal: string | null;
  /** The source of the earliest suspicious event, in words. */
  from: string;
  origin: Origin | null;
  /** Successful earlier calls of the credential from other sources. */
  prior: number;
  flagged: boolean;
  /** The baseline anomaly of a federated sign-in of the credential, if one departs. */
  anomaly: SignInAnomaly | null;
}

/** A verdict with its summary and the uids of events that support it beyond the first. */
type Finding = [VectorVerdict, string, (string | null)[]];

// Checked in order; the first that applies gives the verdict.
const CHECKS: ((facts: Facts) => Finding | null)[] = [
  instanceCredentials,
  leakedKey,
  consoleWithoutMfa,
  federatedLogin,
  publicExposure,
];

function judge(
  row: Row,
  key: string | null,
  origin: Origin | null,
  prior: number,
  anomaly: SignInAnomaly | null,
): AttackVector {
  const flaggedUids = Array.isArray(row.flagged_uids) ? row.flagged_uids.map(String) : [];
  const src = text(row.first_src);
  const facts: Facts = {
    row,
    key,
    principal: text(row.principal),
    from: src ?? 'an unrecorded source',
    origin,
    prior,
    flagged: flaggedUids.length > 0,
    anomaly,
  };
  const [verdict, summary, extra] = CHECKS.reduce<Finding | null>(
    (found, check) => found ?? check(facts),
    null,
  ) ?? ['undetermined', undetermined(facts), []];
  // Without a detection, the anomalous sign-in is the earliest suspicious activity.
  const firstSuspicious =
    verdict === 'federated_login_anomaly' && anomaly !== null && !facts.flagged
      ? {
          time: anomaly.time,
          event_uid: anomaly.event_uid,
          operation: anomaly.operation,
          status: anomaly.status,
          source: anomaly.source,
        }
      : {
          time: iso(row.t0),
          event_uid: String(row.first_uid),
          operation: text(row.first_op),
          status: text(row.first_status),
          source: src,
        };
  const supporting = [
    ...extra.filter((uid): uid is string => uid !== null),
    firstSuspicious.event_uid,
  ];

  return {
    verdict,
    access_key: key,
    identity: facts.principal,
    summary,
    first_suspicious: firstSuspicious,
    evidence: [...new Set([...supporting, ...flaggedUids])].slice(0, MAX_EVIDENCE),
  };
}

// Needs a workstation user agent or a detection: an instance calling from its own public
// address is also a call "from an address", and a new-address anomaly alone may only mean
// the instance got a new address.
function instanceCredentials(facts: Facts): Finding | null {
  const { row, key, origin } = facts;
  const instance =
    origin?.actor === 'ec2.amazonaws.com' || INSTANCE_SESSION.test(facts.principal ?? '');
  const outside = row.workstation === true || row.detected === true;
  if (!instance || row.from_address !== true || !outside) return null;

  const how = row.workstation === true ? ' with a workstation user agent' : '';
  return [
    'instance_credentials_used_outside',
    `Instance-role credentials${key === null ? '' : ` ${key}`} of ` +
      `${roleAndSession(facts.principal)} were used from ${facts.from}${how}, outside the ` +
      'EC2 instance they were issued to.',
    [origin?.uid ?? null],
  ];
}

function leakedKey(facts: Facts): Finding | null {
  if (!facts.key?.startsWith('AKIA') || !facts.flagged) return null;

  const history =
    facts.prior > 0
      ? `a new source, after ${facts.prior} successful calls from its usual sources`
      : 'with no earlier use in the evidence';
  return [
    'leaked_long_term_key',
    `Long-term access key ${facts.key} of ${facts.principal} was used from ${facts.from}, ${history}.`,
    [],
  ];
}

function consoleWithoutMfa({ row, principal, from }: Facts): Finding | null {
  if (row.login_uid === null) return null;

  const failures = Number(row.failed_logins);
  const after = failures > 0 ? ` after ${failures} failed sign-ins` : '';
  return [
    'console_login_without_mfa',
    `${principal} signed in to the console without MFA from ${from}${after}.`,
    [text(row.login_uid)],
  ];
}

// A federated sign-in alone is how most people work: the verdict needs a sign-in that departs
// from the identity's baseline.
function federatedLogin({ anomaly, principal }: Facts): Finding | null {
  if (anomaly === null) return null;

  return [
    'federated_login_anomaly',
    `${principal} signed in through a federated identity provider, and the sign-in departs ` +
      `from its baseline (${anomaly.kind.replace(/_/g, ' ')} ${anomaly.value}). ` +
      anomaly.explanation,
    [anomaly.event_uid],
  ];
}

function publicExposure({ row, from }: Facts): Finding | null {
  if (row.anonymous_uid === null) return null;

  return [
    'public_exposure',
    `Anonymous requests reached a resource from ${from}, so it is exposed to the public.`,
    [text(row.anonymous_uid)],
  ];
}

function undetermined({ principal, key, from, flagged }: Facts): string {
  const who = `${principal}${key === null ? '' : ` (key ${key})`}`;
  const why = flagged ? 'the evidence does not show how access began' : 'no detection fired on it';

  return `${who} acted from ${from}, but ${why}.`;
}

/** `role R (session S)` for an assumed-role session ARN, else the principal itself. */
function roleAndSession(principal: string | null): string {
  const match = /:assumed-role\/([^/]+)\/(.+)$/.exec(principal ?? '');
  return match ? `role ${match[1]} (session ${match[2]})` : String(principal);
}
