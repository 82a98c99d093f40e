/**
 * The fields of a CloudTrail digest file that validation reads, as AWS documents the digest
 * file structure (digests of log file integrity validation, format unchanged since 2015).
 */

/** One log file a digest lists. */
export interface DigestLogFile {
  bucket: string;
  object: string;
  /** Hex SHA-256 of the uncompressed log file. */
  hash: string;
  oldest: string | null;
  newest: string | null;
}

/** A digest file's fields. */
export interface DigestData {
  account: string;
  start: string;
  end: string;
  bucket: string;
  object: string;
  fingerprint: string;
  algorithm: string;
  previousBucket: string | null;
  previousObject: string | null;
  /** Hex SHA-256 of the uncompressed previous digest. */
  previousHash: string | null;
  /** Hex signature of the previous digest: the only copy of it outside S3 object metadata. */
  previousSignature: string | null;
  logFiles: DigestLogFile[];
}

/** Reads the fields of a parsed digest, or returns what is missing. */
export function digestData(value: unknown): DigestData | string {
  if (typeof value !== 'object' || value === null) return 'the digest is not a JSON object';
  const d = value as Record<string, unknown>;
  const required = ['digestStartTime', 'digestEndTime', 'digestS3Bucket', 'digestS3Object'];
  for (const key of [...required, 'digestPublicKeyFingerprint']) {
    if (typeof d[key] !== 'string') return `${key} is missing`;
  }
  if (!Array.isArray(d.logFiles)) return 'logFiles is missing';

  const logFiles: DigestLogFile[] = [];
  for (const entry of d.logFiles) {
    if (typeof entry !== 'object' || entry === null) return 'a logFiles entry is not an object';
    const f = entry as Record<string, unknown>;
    if (typeof f.s3Object !== 'string' || typeof f.hashValue !== 'string') {
      return 'a logFiles entry has no s3Object or hashValue';
    }
    logFiles.push({
      bucket: optional(f.s3Bucket) ?? String(d.digestS3Bucket),
      object: f.s3Object,
      hash: f.hashValue.toLowerCase(),
      oldest: optional(f.oldestEventTime),
      newest: optional(f.newestEventTime),
    });
  }

  return {
    account: optional(d.awsAccountId) ?? '',
    start: String(d.digestStartTime),
    end: String(d.digestEndTime),
    bucket: String(d.digestS3Bucket),
    object: String(d.digestS3Object),
    fingerprint: String(d.digestPublicKeyFingerprint).toLowerCase(),
    algorithm: optional(d.digestSignatureAlgorithm) ?? 'SHA256withRSA',
    previousBucket: optional(d.previousDigestS3Bucket),
    previousObject: optional(d.previousDigestS3Object),
    previousHash: optional(d.previousDigestHashValue)?.toLowerCase() ?? null,
    previousSignature: optional(d.previousDigestSignature),
    logFiles,
  };
}

/**
 * Builds the string CloudTrail signs for a digest: its end time, `bucket/key`, the hex SHA-256
 * of the uncompressed digest and the previous digest's signature (`null` for the first digest
 * of a chain), joined by newlines.
 */
export function signingString(data: DigestData, digestSha256: string): string {
  return [
    data.end,
    `${data.bucket}/${data.object}`,
    digestSha256,
    data.previousSignature ?? 'null',
  ].join('\n');
}

/**
 * Returns the chain a digest belongs to, from its key
 * `<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<end>.json.gz`: one trail's
 * digests for one account and region link to each other.
 */
export function chainKey(data: DigestData): string {
  const name = data.object.slice(data.object.lastIndexOf('/') + 1);
  const match = /^(\d+)_CloudTrail-Digest_([a-z0-9-]+)_(.+)_[a-z0-9-]+_\d{8}T\d{6}Z/.exec(name);
  if (match) return `${match[1]}/${match[2]}/${match[3]}`;

  return `${data.account}/${data.bucket}`;
}

/** Returns the region a digest covers, from its key, or `null`. */
export function digestRegion(data: DigestData): string | null {
  return /\/CloudTrail-Digest\/([a-z0-9-]+)\//.exec(data.object)?.[1] ?? null;
}

/** Returns the last path segment of an S3 key, file path or zip member name. */
export function baseName(key: string): string {
  return key.slice(Math.max(key.lastIndexOf('/'), key.lastIndexOf('!')) + 1);
}

function optional(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
