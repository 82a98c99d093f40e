/**
 * The normalized event: one record of any log, in OCSF-aligned field names, with the way back to
 * its original bytes. Unknown values are `null`, never missing, so every event has the same shape
 * and maps one-to-one onto the `events` table.
 */
import { createHash } from 'node:crypto';

/** The log categories an intrusion leaves traces in. */
export const CATEGORIES = [
  'audit',
  'network',
  'compute',
  'secrets',
  'storage',
  'database',
  'kubernetes',
  'identity',
] as const;

export type Category = (typeof CATEGORIES)[number];

export type Status = 'success' | 'failure' | 'unknown';

/** Who acted: the principal behind the request. */
export interface Actor {
  /** Stable identifier: an ARN, a principal id or an email address. */
  uid: string | null;
  /** Short human name, such as the IAM user name or the role session name. */
  name: string | null;
  /** Provider identity type, such as `IAMUser`, `AssumedRole`, `Root`, `AWSService`. */
  type: string | null;
  /** Session identifier for temporary credentials (for AWS, the assumed-role session ARN). */
  session: string | null;
  /** Access key id used to sign the request. */
  access_key: string | null;
  /** Whether the session was authenticated with MFA; `null` when the log does not say. */
  mfa: boolean | null;
  /** Account the principal belongs to. */
  account: string | null;
  /** Service that acted on the principal's behalf (CloudTrail `invokedBy`). */
  invoked_by: string | null;
}

/** A network endpoint; flow fields are set only by flow-like sources. */
export interface Endpoint {
  ip: string | null;
  port: number | null;
  /** Hostname or domain, when the log names one instead of or beside an address. */
  domain: string | null;
  bytes: number | null;
  packets: number | null;
}

export interface Cloud {
  provider: 'aws' | 'gcp' | 'azure' | 'kubernetes' | 'other';
  account: string | null;
  region: string | null;
}

export interface Api {
  /** Service endpoint, such as `iam.amazonaws.com`. */
  service: string | null;
  /** Operation name, such as `CreateAccessKey`. */
  operation: string | null;
  request_id: string | null;
  /** Whether the operation only reads; `null` when the log does not say. */
  read_only: boolean | null;
}

export interface Resource {
  uid: string;
  type: string | null;
}

/** Where an event came from: enough to find and re-verify its original bytes. */
export interface EvidenceRef {
  /** SHA-256 of the evidence item (the file as acquired, before any decompression). */
  sha256: string;
  /** Member inside the item, such as a zip entry name; `null` for a plain or gz file. */
  member: string | null;
  /** Zero-based index of the record within the member. */
  record: number;
  /** Byte offset of the record's first byte in the decompressed stream. */
  offset: number;
}

export interface Event {
  /** Evidence hash prefix, member (a digest of a long name) and record index: stable across re-ingests. */
  uid: string;
  /** UTC instant of the activity, ISO 8601 with milliseconds and a `Z` suffix. */
  time: string;
  /** Format id, such as `aws.cloudtrail`. */
  source: string;
  category: Category;
  /** OCSF class id, such as 6003 for API Activity. */
  class_uid: number;
  class_name: string;
  /** OCSF activity name within the class, such as `Create`, `Read`, `Logon`. */
  activity: string;
  status: Status;
  /** The provider's error code, such as `AccessDenied`. */
  status_detail: string | null;
  actor: Actor;
  src: Endpoint;
  dst: Endpoint;
  user_agent: string | null;
  cloud: Cloud;
  api: Api;
  resources: Resource[];
  /** One-line human summary. */
  message: string;
  tags: string[];
  evidence: EvidenceRef;
  /** The original record, unmodified, as parsed from the log. */
  raw: Record<string, unknown>;
  /**
   * The provider's own id of this record (OCSF `metadata.uid`), where the format has one that
   * is unique per record: CloudTrail `eventID`, Okta `uuid`. Two records with the same source, id,
   * time and operation are one activity read from two files; only the first stays on the timeline.
   */
  metadata_uid?: string;
}

/** The `metadata_uid` part of an event, empty when the record carries no id. */
export function metadataUid(id: string | null): Pick<Event, 'metadata_uid'> {
  return id === null || id === '' ? {} : { metadata_uid: id };
}

/**
 * Maximum length, in UTF-16 code units, of a member name that an event uid repeats whole. Real archive paths,
 * such as CloudTrail's `AWSLogs/<account>/CloudTrail/<region>/<date>/<file>`, are shorter. A
 * crafted archive may name a member with tens of thousands of characters, and every uid of its
 * records would repeat the name: 20,000 records under a 16,000-character name ran the parser
 * thread's correlations out of memory.
 */
export const MAX_UID_MEMBER_LENGTH = 256;

// The digest that stands for the last long member name seen: the records of one member come
// one after another, so a single entry spares hashing the name once per record.
let lastLongMember: { name: string; digest: string } | undefined;

/**
 * Returns the member part of a uid: the name itself, or for a name over MAX_UID_MEMBER_LENGTH, `~` and
 * the first 32 hex digits of the SHA-256 of its UTF-8 bytes. `evidence_member` keeps the name.
 * A name that starts with `~` gets the digest too, whatever its length: an archive may name a
 * member after the digest of another member's name, and their events would share uids.
 */
function uidMember(member: string): string {
  if (member.length <= MAX_UID_MEMBER_LENGTH && !member.startsWith('~')) return member;
  if (lastLongMember?.name !== member) {
    const digest = createHash('sha256').update(member, 'utf8').digest('hex').slice(0, 32);
    lastLongMember = { name: member, digest: `~${digest}` };
  }
  return lastLongMember.digest;
}

/**
 * Maximum length of a uid that `eventUid` builds: the hash prefix, a member part of at most
 * MAX_UID_MEMBER_LENGTH, and a record index of up to 20 digits with their separators.
 */
export const MAX_UID_LENGTH = 16 + 1 + MAX_UID_MEMBER_LENGTH + 1 + 20;

/** Builds the stable event uid from its evidence reference. */
export function eventUid(ref: EvidenceRef): string {
  const member = ref.member === null ? '' : `${uidMember(ref.member)}#`;
  return `${ref.sha256.slice(0, 16)}:${member}${ref.record}`;
}

/** An endpoint with every field unknown. */
export function emptyEndpoint(): Endpoint {
  return { ip: null, port: null, domain: null, bytes: null, packets: null };
}

/** An actor with every field unknown. */
export function emptyActor(): Actor {
  return {
    uid: null,
    name: null,
    type: null,
    session: null,
    access_key: null,
    mfa: null,
    account: null,
    invoked_by: null,
  };
}
