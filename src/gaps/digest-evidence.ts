/**
 * Finds the CloudTrail digest files and log files among a case's evidence and hashes their
 * uncompressed content, for `validateDigests`.
 */
import { createHash } from 'node:crypto';
import { type EvidenceItem, openEvidence, readManifest } from '../evidence/index.ts';
import type { IngestRecord } from '../store/types.ts';
import { baseName, digestData } from './digest-format.ts';
import type { EvidenceDigest, EvidenceLogFile } from './validate-digests.ts';

/** A digest larger than this is not read; an hourly digest lists a few hundred files at most. */
const MAX_DIGEST_BYTES = 16 * 1024 * 1024;

/** Format ids of the streams read here. */
const DIGEST_FORMAT = 'aws.cloudtrail.digest';
const LOG_FORMAT = 'aws.cloudtrail';

/** Digests, log file hashes by base name, and the digests that could not be read. */
export interface DigestEvidence {
  digests: EvidenceDigest[];
  logs: Map<string, EvidenceLogFile[]>;
  problems: { file: string; code: string; message: string }[];
}

/** Reads every digest stream and hashes every CloudTrail stream of the case's evidence. */
export async function readDigestEvidence(
  caseDir: string,
  ingests: readonly IngestRecord[],
): Promise<DigestEvidence> {
  const result: DigestEvidence = { digests: [], logs: new Map(), problems: [] };
  const cloudTrailStreams = ingests.filter(
    (i) => i.format === DIGEST_FORMAT || i.format === LOG_FORMAT,
  );
  if (!cloudTrailStreams.some((i) => i.format === DIGEST_FORMAT)) return result;

  const items = await manifestItems(caseDir);
  const bySha = new Map<string, IngestRecord[]>();
  for (const ingest of cloudTrailStreams) {
    bySha.set(ingest.sha256, [...(bySha.get(ingest.sha256) ?? []), ingest]);
  }
  for (const [sha256, streams] of bySha) {
    const item = items.get(sha256);
    if (item === undefined) continue;
    for await (const member of openEvidence(caseDir, item)) {
      if (member.kind === 'error') {
        const { displayName: file, code, reason: message } = member;
        result.problems.push({ file, code, message });
        continue;
      }
      const ingest = streams.find((s) => s.member === member.log.member);
      if (ingest === undefined) {
        member.log.stream.destroy();
        continue;
      }
      await readStream(ingest, member.log.stream, result);
    }
  }

  return result;
}

async function readStream(
  ingest: IngestRecord,
  stream: NodeJS.ReadableStream,
  result: DigestEvidence,
): Promise<void> {
  const hash = createHash('sha256');
  const isDigest = ingest.format === DIGEST_FORMAT;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      hash.update(buffer);
      size += buffer.length;
      if (isDigest && size <= MAX_DIGEST_BYTES) chunks.push(buffer);
    }
  } catch (error) {
    result.problems.push({
      file: ingest.path,
      code: 'evidence_unreadable',
      message: (error as Error).message,
    });
    return;
  }
  const sha256 = hash.digest('hex');

  if (!isDigest) {
    const name = baseName(ingest.path);
    result.logs.set(name, [...(result.logs.get(name) ?? []), { file: ingest.path, sha256 }]);
    return;
  }
  if (size > MAX_DIGEST_BYTES) {
    result.problems.push({
      file: ingest.path,
      code: 'digest_too_large',
      message: `larger than ${MAX_DIGEST_BYTES} bytes`,
    });
    return;
  }
  addDigest(ingest.path, sha256, Buffer.concat(chunks), result);
}

function addDigest(file: string, sha256: string, bytes: Buffer, result: DigestEvidence): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    result.problems.push({ file, code: 'digest_invalid', message: 'the digest is not JSON' });
    return;
  }
  const data = digestData(parsed);
  if (typeof data === 'string') {
    result.problems.push({ file, code: 'digest_invalid', message: data });
    return;
  }
  result.digests.push({ file, sha256, data });
}

async function manifestItems(caseDir: string): Promise<Map<string, EvidenceItem>> {
  const items = new Map<string, EvidenceItem>();
  for await (const line of readManifest(caseDir)) {
    if (!line.ok || items.has(line.entry.sha256)) continue;
    const { entry } = line;
    items.set(entry.sha256, {
      sha256: entry.sha256,
      size: entry.size,
      kind: entry.kind,
      originalPath: entry.original_path,
      storedPath: entry.stored_path,
      acquiredAt: entry.acquired_at,
      isNew: false,
    });
  }
  return items;
}
