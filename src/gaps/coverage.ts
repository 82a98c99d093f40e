/**
 * Missing audit logs: accounts and regions that the evidence shows in use but whose audit log
 * (CloudTrail for AWS, Cloud Audit Logs for GCP) has no event in the case. The expected
 * combinations come from the evidence itself: other sources' events, API calls that name a
 * region, ARNs, and CloudTrail digest files that list log files.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { isoFromEpochMs, TIME_THEN_UID } from '../analyze/sql-values.ts';
import { digestRegion } from './digest-format.ts';
import type { GapFinding } from './types.ts';
import type { EvidenceDigest } from './validate-digests.ts';

/** The audit log of each provider whose coverage is checked. */
const AUDIT_SOURCES: Record<string, string> = { aws: 'aws.cloudtrail', gcp: 'gcp.audit' };

/** Why a combination is expected: the kind of evidence and what it was. */
type Reason = 'events' | 'named_region' | 'arn' | 'digest';

/** An account, or an account and region, that the evidence shows in use, and the reason. */
interface Expected {
  provider: string;
  account: string;
  region: string | null;
  reason: Reason;
  /** The source, operation, ARN or digest file that shows it. */
  via: string;
  count: number;
  first: string;
  last: string;
  event_uids: string[];
  /** Whether the account is one the case's events were recorded in, not only named. */
  case_account: boolean;
}

// S3 server access logs are left out: their account is the requester's, which can be anyone's,
// and the bucket owner's account is not in the log. The audit sources themselves show coverage,
// not expectation.
const FROM_EVENTS = `SELECT cloud_provider AS provider, cloud_account AS account,
  cloud_region AS region, 'events' AS reason, source AS via, count(*) AS n,
  epoch_ms(min(time)) AS f, epoch_ms(max(time)) AS l,
  [arg_min(uid, ${TIME_THEN_UID}), arg_max(uid, ${TIME_THEN_UID})] AS uids
FROM events
WHERE cloud_provider IN ('aws', 'gcp') AND cloud_account IS NOT NULL
  AND source NOT IN ('aws.cloudtrail', 'gcp.audit', 'aws.s3access')
GROUP BY ALL`;

/**
 * CloudTrail calls whose request names a region other than the one they were sent to, as a list
 * for list_contains(). DuckDB 1.5 turns an IN list of this length into a join that the table
 * scan cannot filter by, so the scan read the raw record of every event. That cost 0.6 to 1.3
 * CPU s on a million events, against 0.02 s with list_contains().
 */
const REGION_NAMING = `['CopySnapshot', 'CopyImage', 'CopyDBSnapshot', 'CopyDBClusterSnapshot',
  'CreateBucket', 'EnableRegion', 'CreateReplicationTask', 'CopyBackupToRegion']`;

const REGION_PATTERN = '^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$';

const NAMED_REGIONS = `SELECT 'aws' AS provider, account, region, 'named_region' AS reason,
  op AS via, count(*) AS n, epoch_ms(min(time)) AS f, epoch_ms(max(time)) AS l,
  [arg_min(uid, ${TIME_THEN_UID})] AS uids
FROM (
  SELECT cloud_account AS account, api_operation AS op, uid, time,
    unnest([
      json_extract_string(raw, '$.requestParameters.sourceRegion'),
      json_extract_string(raw, '$.requestParameters.destinationRegion'),
      json_extract_string(raw, '$.requestParameters.RegionName'),
      json_extract_string(raw, '$.requestParameters.CreateBucketConfiguration.LocationConstraint')
    ]) AS region
  FROM events
  WHERE source = 'aws.cloudtrail' AND status = 'success' AND cloud_account IS NOT NULL
    AND list_contains(${REGION_NAMING}, api_operation)
)
WHERE regexp_matches(region, '${REGION_PATTERN}')
GROUP BY ALL`;

// Identities and resources are read from the entity table, which lists each ARN once.
const FROM_ARNS = `SELECT 'aws' AS provider, account, region, 'arn' AS reason,
  min(value) AS via, count(*) AS n, epoch_ms(min(first_seen)) AS f,
  epoch_ms(max(last_seen)) AS l, []::VARCHAR[] AS uids
FROM (
  SELECT value, first_seen, last_seen,
    regexp_extract(value, '^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):', 1) AS account,
    nullif(regexp_extract(value, '^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):[0-9]{12}:', 1), '')
      AS region
  FROM entities WHERE type IN ('identity', 'resource') AND starts_with(value, 'arn:aws')
)
WHERE account <> '' AND (region IS NULL OR regexp_matches(region, '${REGION_PATTERN}'))
GROUP BY ALL`;

const COVERED = `SELECT DISTINCT cloud_provider AS provider, cloud_account AS account,
  cloud_region AS region
FROM events
WHERE (cloud_provider = 'aws' AND source = 'aws.cloudtrail')
  OR (cloud_provider = 'gcp' AND source = 'gcp.audit')`;

const CASE_ACCOUNTS = `SELECT DISTINCT cloud_account AS account FROM events
WHERE cloud_account IS NOT NULL AND source <> 'aws.s3access'`;

/**
 * Finds the accounts and regions that the evidence shows in use but that have no audit log
 * event in the case, one finding per account and region with every reason it is expected.
 */
export async function findMissingCoverage(
  connection: DuckDBConnection,
  digests: readonly EvidenceDigest[],
): Promise<GapFinding[]> {
  const caseAccounts = new Set(
    (await read(connection, CASE_ACCOUNTS)).map((row) => String(row.account)),
  );
  const expected = [
    ...(await expectations(connection, FROM_EVENTS, caseAccounts)),
    ...(await expectations(connection, NAMED_REGIONS, caseAccounts)),
    ...((await hasEntities(connection))
      ? await expectations(connection, FROM_ARNS, caseAccounts)
      : []),
    ...fromDigests(digests, caseAccounts),
  ];
  const covered = await read(connection, COVERED);
  const regions = new Set(covered.map((row) => key(row.provider, row.account, row.region)));
  const accounts = new Set(covered.map((row) => key(row.provider, row.account, null)));
  const missing = expected.filter((e) =>
    e.region === null
      ? !accounts.has(key(e.provider, e.account, null))
      : !regions.has(key(e.provider, e.account, e.region)),
  );

  return toFindings(missing);
}

async function read(connection: DuckDBConnection, sql: string) {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

// A case written before entity extraction existed has no entity table.
async function hasEntities(connection: DuckDBConnection): Promise<boolean> {
  const rows = await read(
    connection,
    "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'entities'",
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

async function expectations(
  connection: DuckDBConnection,
  sql: string,
  caseAccounts: ReadonlySet<string>,
): Promise<Expected[]> {
  return (await read(connection, sql)).map((row) => ({
    provider: String(row.provider),
    account: String(row.account),
    region: row.region === null || row.region === undefined ? null : String(row.region),
    reason: String(row.reason) as Reason,
    via: String(row.via),
    count: Number(row.n),
    first: isoFromEpochMs(row.f),
    last: isoFromEpochMs(row.l),
    event_uids: Array.isArray(row.uids) ? [...new Set(row.uids.map(String))] : [],
    case_account: caseAccounts.has(String(row.account)),
  }));
}

// A digest whose hour had no events lists no log files, and is no sign that logs are missing.
function fromDigests(
  digests: readonly EvidenceDigest[],
  caseAccounts: ReadonlySet<string>,
): Expected[] {
  const found = new Map<string, Expected>();
  for (const digest of digests) {
    const region = digestRegion(digest.data);
    const account = digest.data.account;
    if (digest.data.logFiles.length === 0 || region === null || account === '') continue;

    const id = key('aws', account, region);
    const entry = found.get(id);
    if (entry === undefined) {
      found.set(id, {
        provider: 'aws',
        account,
        region,
        reason: 'digest',
        via: digest.file,
        count: digest.data.logFiles.length,
        first: isoOr(digest.data.start),
        last: isoOr(digest.data.end),
        event_uids: [],
        case_account: caseAccounts.has(account),
      });
      continue;
    }
    entry.count += digest.data.logFiles.length;
    if (isoOr(digest.data.start) < entry.first) entry.first = isoOr(digest.data.start);
    if (isoOr(digest.data.end) > entry.last) entry.last = isoOr(digest.data.end);
  }

  return [...found.values()];
}

// Digest times are ISO 8601 without milliseconds, but event times have them.
function isoOr(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}

function key(provider: unknown, account: unknown, region: unknown): string {
  return `${String(provider)}\u0000${String(account)}\u0000${region === null ? '' : String(region)}`;
}

// An account with findings for some of its regions needs no finding of its own as well.
function toFindings(missing: readonly Expected[]): GapFinding[] {
  const groups = new Map<string, Expected[]>();
  for (const entry of missing) {
    const id = key(entry.provider, entry.account, entry.region);
    groups.set(id, [...(groups.get(id) ?? []), entry]);
  }
  const withRegions = new Set(
    missing.filter((e) => e.region !== null).map((e) => key(e.provider, e.account, null)),
  );

  return [...groups.entries()]
    .filter(([id, entries]) => entries[0]?.region !== null || !withRegions.has(id))
    .map(([, entries]) => toFinding(entries));
}

function toFinding(entries: readonly Expected[]): GapFinding {
  const [first] = entries;
  if (first === undefined) throw new Error('a coverage group has no entries');
  const source = AUDIT_SOURCES[first.provider] ?? first.provider;
  const start = entries.map((e) => e.first).sort()[0] ?? first.first;
  const end =
    entries
      .map((e) => e.last)
      .sort()
      .at(-1) ?? first.last;
  const where =
    first.region === null
      ? `account ${first.account}`
      : `account ${first.account} in ${first.region}`;
  // An account only named in ARNs may belong to someone else, such as a partner or the intruder.
  const strong = entries.some((e) => e.reason !== 'arn' || e.case_account);

  return {
    kind: 'no_audit_logs',
    severity: strong ? 'medium' : 'low',
    source,
    account: first.account,
    region: first.region,
    resource: null,
    start,
    end,
    event_uids: [...new Set(entries.flatMap((e) => e.event_uids))].slice(0, 10),
    summary:
      `No ${source} event of ${where} is in the evidence, although ` +
      `${entries.map(reasonText).join('; ')}.`,
    cannot_see:
      `The API calls of ${where} from ${start} to ${end}: who created, changed, deleted or ` +
      'read what, and from where.' +
      (strong ? '' : ' If the account belongs to another organization, no log of it is expected.'),
  };
}

function reasonText(entry: Expected): string {
  const times = `from ${entry.first} to ${entry.last}`;
  switch (entry.reason) {
    case 'events':
      return `${entry.count} ${entry.via} ${plural(entry.count, 'event')} ${times} ${entry.count === 1 ? 'shows' : 'show'} activity there`;
    case 'named_region':
      return `${entry.count} ${entry.via} ${plural(entry.count, 'call')} named the region ${times}`;
    case 'arn':
      return `${entry.count} ${plural(entry.count, 'ARN')} ${entry.count === 1 ? 'names' : 'name'} it, such as ${entry.via}`;
    case 'digest':
      return `CloudTrail digest files such as ${entry.via} list ${entry.count} log ${plural(entry.count, 'file')} of it ${times}`;
  }
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}
