/**
 * CloudTrail log file integrity validation over the evidence: each digest's signature (RSA with
 * SHA-256), the hash of each log file it lists, and the chain of digests, as the AWS CLI's
 * `validate-logs` checks them in S3. The evidence contains files, not S3 objects, so a digest's own
 * signature, which S3 keeps in the object's metadata, is taken from the next digest of its chain
 * (`previousDigestSignature`); the newest digest of each chain therefore stays unverified.
 */
import { constants, verify } from 'node:crypto';
import {
  baseName,
  chainKey,
  type DigestData,
  digestRegion,
  signingString,
} from './digest-format.ts';
import type { PublicKeySet } from './public-keys.ts';
import type { GapFinding, IntegrityResult } from './types.ts';

/** A digest file found in the evidence. */
export interface EvidenceDigest {
  /** Display name of the evidence stream: its original path. */
  file: string;
  /** Hex SHA-256 of the uncompressed digest. */
  sha256: string;
  data: DigestData;
}

/** A log file in the evidence: its name and the hex SHA-256 of its uncompressed content. */
export interface EvidenceLogFile {
  file: string;
  sha256: string;
}

/** Checks every digest; `logs` maps a file's base name to the evidence files of that name. */
export function validateDigests(
  digests: readonly EvidenceDigest[],
  logs: ReadonlyMap<string, readonly EvidenceLogFile[]>,
  keys: PublicKeySet | null,
  signatures: ReadonlyMap<string, string> = new Map(),
): { findings: GapFinding[]; integrity: IntegrityResult } {
  const integrity: IntegrityResult = {
    digests: digests.length,
    digests_valid: 0,
    digests_unverified: 0,
    log_files_listed: 0,
    log_files_valid: 0,
    log_files_modified: 0,
    log_files_missing: 0,
    signatures_checked: keys !== null,
    problems: [...(keys?.problems ?? [])],
  };
  const findings: GapFinding[] = [];
  const byObject = new Map(digests.map((d) => [baseName(d.data.object), d]));
  const successors = new Map<string, EvidenceDigest>();
  for (const digest of digests) {
    if (digest.data.previousObject) successors.set(baseName(digest.data.previousObject), digest);
  }

  for (const digest of digests) {
    const next = successors.get(baseName(digest.data.object));
    const signature =
      next?.data.previousSignature ?? signatures.get(baseName(digest.data.object)) ?? null;
    const status = checkDigest(digest, { next, signature, keys }, findings, integrity);
    if (status === 'valid') integrity.digests_valid++;
    if (status === 'unverified') integrity.digests_unverified++;
    checkPredecessor(digest, byObject, findings);
    checkLogFiles(digest, logs, findings, integrity);
  }
  findings.push(...chainRestarts(digests));
  findings.push(...unlistedLogFiles(digests, logs));

  return { findings, integrity };
}

/** What checking one digest needs besides the digest: its successor, signature and the keys. */
interface DigestCheck {
  next: EvidenceDigest | undefined;
  /** Hex signature, from the successor or from the signatures file. */
  signature: string | null;
  keys: PublicKeySet | null;
}

function checkDigest(
  digest: EvidenceDigest,
  { next, signature: signatureHex, keys }: DigestCheck,
  findings: GapFinding[],
  integrity: IntegrityResult,
): 'valid' | 'invalid' | 'unverified' {
  const { data } = digest;
  const stored = baseName(digest.file).replace(/\.gz$/, '');
  if (stored !== baseName(data.object).replace(/\.gz$/, '')) {
    integrity.problems.push({
      file: digest.file,
      code: 'digest_renamed',
      message: `the file name differs from its digestS3Object ${data.object}`,
    });
  }
  if (next?.data.previousHash && next.data.previousHash !== digest.sha256) {
    findings.push(
      digestFinding(digest, 'digest_modified', [
        `Digest ${data.object} does not match the hash that the next digest ${next.data.object} recorded for it: it was modified after delivery.`,
        'Which log files this digest listed, and their true hashes.',
      ]),
    );
    return 'invalid';
  }
  if (keys === null) return 'unverified';
  if (signatureHex === null) {
    integrity.problems.push({
      file: digest.file,
      code: 'signature_unavailable',
      message:
        'the newest digest of its chain: its signature is in the S3 object metadata ' +
        '(x-amz-meta-signature), which the evidence does not hold; give it with ' +
        '--cloudtrail-signatures',
    });
    return 'unverified';
  }
  const key = keys.keys.get(data.fingerprint);
  if (key === undefined) {
    integrity.problems.push({
      file: digest.file,
      code: 'public_key_not_found',
      message: `no public key with fingerprint ${data.fingerprint} in the public key file`,
    });
    return 'unverified';
  }

  const signed = Buffer.from(signingString(data, digest.sha256), 'utf8');
  const signature = Buffer.from(signatureHex, 'hex');
  const ok = verify(
    'sha256',
    signed,
    { key: key.key, padding: constants.RSA_PKCS1_PADDING },
    signature,
  );
  if (ok) return 'valid';

  findings.push(
    digestFinding(digest, 'digest_signature_invalid', [
      `The signature of digest ${data.object} does not verify with public key ${data.fingerprint}: the digest was modified or forged.`,
      'Which log files CloudTrail delivered in this hour, and whether they are intact.',
    ]),
  );
  return 'invalid';
}

function checkPredecessor(
  digest: EvidenceDigest,
  byObject: ReadonlyMap<string, EvidenceDigest>,
  findings: GapFinding[],
): void {
  const previous = digest.data.previousObject;
  if (previous === null || byObject.has(baseName(previous))) return;

  findings.push({
    ...digestFinding(digest, 'digest_missing', [
      `Digest ${digest.data.object} names a previous digest ${previous} that is not in the evidence: it was deleted, or not collected.`,
      'The log files delivered in the hour before this digest, and whether any were deleted.',
    ]),
    resource: previous,
    end: digest.data.start,
    start: digest.data.start,
  });
}

function checkLogFiles(
  digest: EvidenceDigest,
  logs: ReadonlyMap<string, readonly EvidenceLogFile[]>,
  findings: GapFinding[],
  integrity: IntegrityResult,
): void {
  const missing: string[] = [];
  let oldest: string | null = null;
  let newest: string | null = null;
  for (const listed of digest.data.logFiles) {
    integrity.log_files_listed++;
    const name = baseName(listed.object);
    const candidates = [...(logs.get(name) ?? []), ...(logs.get(name.replace(/\.gz$/, '')) ?? [])];
    if (candidates.length === 0) {
      integrity.log_files_missing++;
      missing.push(listed.object);
      if (listed.oldest && (oldest === null || listed.oldest < oldest)) oldest = listed.oldest;
      if (listed.newest && (newest === null || listed.newest > newest)) newest = listed.newest;
      continue;
    }
    if (candidates.some((c) => c.sha256 === listed.hash)) {
      integrity.log_files_valid++;
      continue;
    }
    integrity.log_files_modified++;
    findings.push({
      ...digestFinding(digest, 'log_file_modified', [
        `Log file ${candidates.map((c) => c.file).join(', ')} does not match the SHA-256 that digest ${digest.data.object} lists for ${listed.object}: it was modified after delivery.`,
        'The true content of this log file: its events may have been edited, added or removed.',
      ]),
      resource: listed.object,
      start: listed.oldest ?? digest.data.start,
      end: listed.newest ?? digest.data.end,
    });
  }
  if (missing.length === 0) return;

  findings.push({
    ...digestFinding(digest, 'log_file_missing', [
      `${missing.length} log file(s) listed in digest ${digest.data.object} are not in the evidence: deleted from the bucket, or not collected (first: ${missing[0]}).`,
      'The events of those log files.',
    ]),
    resource: missing[0] ?? null,
    start: oldest ?? digest.data.start,
    end: newest ?? digest.data.end,
  });
}

// A digest without a previous digest starts a chain. When an earlier digest of the same trail,
// account and region exists, logging or log file validation was off in between.
function chainRestarts(digests: readonly EvidenceDigest[]): GapFinding[] {
  const chains = new Map<string, EvidenceDigest[]>();
  for (const digest of digests) {
    const key = chainKey(digest.data);
    const list = chains.get(key) ?? [];
    list.push(digest);
    chains.set(key, list);
  }

  const findings: GapFinding[] = [];
  for (const list of chains.values()) {
    list.sort((a, b) => a.data.end.localeCompare(b.data.end));
    for (let i = 1; i < list.length; i++) {
      const current = list[i];
      const before = list[i - 1];
      if (current === undefined || before === undefined || current.data.previousObject !== null) {
        continue;
      }
      findings.push({
        ...digestFinding(current, 'digest_chain_broken', [
          `Digest ${current.data.object} starts a new chain after ${before.data.object}: logging or log file validation was off from ${before.data.end} to ${current.data.start}.`,
          'Log files of that period carry no digest, so their deletion or modification cannot be detected.',
        ]),
        start: before.data.end,
        end: current.data.start,
      });
    }
  }
  return findings;
}

/** Log files delivered this close to the end of the newest digest may be in a later one, in ms. */
const LATE_DELIVERY_MS = 60 * 60_000;

// A CloudTrail log file named for an account and region whose digests cover its delivery time
// must be listed in one of them; a file that is not was added to the bucket afterwards, or
// belongs to another trail delivering to the same folder.
function unlistedLogFiles(
  digests: readonly EvidenceDigest[],
  logs: ReadonlyMap<string, readonly EvidenceLogFile[]>,
): GapFinding[] {
  const listed = new Set<string>();
  const spans = new Map<string, { start: number; end: number; digest: EvidenceDigest }>();
  for (const digest of digests) {
    for (const file of digest.data.logFiles) listed.add(baseName(file.object).replace(/\.gz$/, ''));
    const key = `${digest.data.account}/${digestRegion(digest.data)}`;
    const start = Date.parse(digest.data.start);
    const end = Date.parse(digest.data.end);
    const span = spans.get(key);
    if (span === undefined) spans.set(key, { start, end, digest });
    else
      spans.set(key, { start: Math.min(span.start, start), end: Math.max(span.end, end), digest });
  }

  const findings: GapFinding[] = [];
  for (const [name, files] of logs) {
    const match = /^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(
      name,
    );
    if (!match || listed.has(name.replace(/\.gz$/, ''))) continue;
    const [, account, region, year, month, day, hour, minute] = match;
    const span = spans.get(`${account}/${region}`);
    const delivered = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:00Z`);
    if (!span || delivered < span.start || delivered > span.end - LATE_DELIVERY_MS) continue;

    const time = new Date(delivered).toISOString();
    findings.push({
      ...digestFinding(span.digest, 'log_file_unlisted', [
        `Log file ${files.map((f) => f.file).join(', ')} was delivered at ${time}, within the time the digests of ${account} ${region} cover, but no digest lists it: it was added to the bucket after delivery, or another trail wrote it.`,
        'Whether its events are genuine: no digest vouches for them.',
      ]),
      resource: name,
      start: time,
      end: time,
    });
  }
  return findings;
}

function digestFinding(
  digest: EvidenceDigest,
  kind: GapFinding['kind'],
  [summary, cannotSee]: [string, string],
): GapFinding {
  return {
    kind,
    severity: 'high',
    source: 'aws.cloudtrail',
    account: digest.data.account || null,
    region: digestRegion(digest.data),
    resource: digest.data.object,
    start: digest.data.start,
    end: digest.data.end,
    event_uids: [],
    summary,
    cannot_see: cannotSee,
  };
}
