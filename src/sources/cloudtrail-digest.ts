import type { Readable } from 'node:stream';
import { jsonMarkerScore, type SniffMarker } from './json-sniff.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

// Keys that only CloudTrail digest files carry; a CloudTrail log file has none of them.
const MARKERS: readonly SniffMarker[] = [
  [/"digestPublicKeyFingerprint"\s*:/, 0.99],
  [/"digestS3Object"\s*:[\s\S]*"logFiles"\s*:/, 0.99],
  [/"previousDigestSignature"\s*:/, 0.9],
];

/**
 * AWS CloudTrail digest files, the hourly signed lists of delivered log files that CloudTrail
 * writes under `CloudTrail-Digest/` when log file integrity validation is on. A digest contains no
 * activity, so the format yields no records: the file stays in the evidence, and `cloudcase
 * gaps` reads it to check signatures, log file hashes and the chain of digests.
 */
export const cloudTrailDigest: SourceFormat = {
  id: 'aws.cloudtrail.digest',
  description: 'AWS CloudTrail digest files (log file integrity validation); no events',
  example: '123456789012_CloudTrail-Digest_us-east-1_trail_us-east-1_20240101T000000Z.json.gz',
  sniff: (head: Buffer) => jsonMarkerScore(head, MARKERS),
  records: drain,
  normalize: (): NormalizeError => ({
    code: 'digest_file',
    reason: 'a CloudTrail digest file lists log files and contains no events',
  }),
};

// The bytes are read to the end so that the evidence hash check runs on them; a digest
// yields no record.
async function* drain(input: Readable): AsyncIterable<RecordResult> {
  for await (const _chunk of input);
  yield* [];
}
