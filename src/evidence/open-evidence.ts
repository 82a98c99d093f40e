import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { CloudcaseError } from '../core/errors.ts';
import { DecryptTransform } from './aead-stream.ts';
import { type CaseCipher, caseCipher } from './case-cipher.ts';
import { isSha256, storedPathFor } from './case-layout.ts';
import { GunzipStage } from './gunzip-stage.ts';
import { HashTransform } from './hash-transform.ts';
import { DEFAULT_READ_LIMITS, LimitTransform } from './read-limits.ts';
import { GUNZIP_CHUNK_BYTES, READ_CHUNK_BYTES } from './read-sizes.ts';
import { chainStreams, readFailure } from './stream-chain.ts';
import type { EvidenceItem, MemberResult, ReadLimits } from './types.ts';
import { openZipMembers } from './zip-members.ts';

/**
 * Opens the decompressed log streams of a stored evidence item: one stream for a plain or
 * gzip item (multi-member gzip included), one per file entry for a zip. Every read is checked
 * against the item's SHA-256; in an encrypted case each record is authenticated and decrypted
 * first, and a case key that is missing or wrong yields a `case_key_missing` or
 * `case_key_wrong` error result. A plain or gzip stream is hashed as it flows and errors with
 * `evidence_modified` at its end on a mismatch. A zip is hashed before any entry is opened.
 * Members that cannot be read yield error results and iteration goes on.
 */
export async function* openEvidence(
  caseDir: string,
  item: EvidenceItem,
  limits: Partial<ReadLimits> = {},
): AsyncIterable<MemberResult> {
  const readLimits: ReadLimits = { ...DEFAULT_READ_LIMITS, ...limits };
  const displayName = item.originalPath;
  if (!isSha256(item.sha256)) {
    throw new CloudcaseError(
      'invalid_item',
      `The evidence item for ${displayName} has no valid SHA-256; take items from acquire.`,
    );
  }

  // The path is derived from the digest, never taken from the item, so it stays in the case.
  const file = path.join(caseDir, storedPathFor(item.sha256));
  const missing = await fs.access(file).then(
    () => false,
    () => true,
  );
  if (missing) {
    yield {
      kind: 'error',
      member: null,
      displayName,
      code: 'evidence_missing',
      reason: `The stored copy of ${displayName} (${item.sha256}) is missing; run \`cloudcase verify\`.`,
    };
    return;
  }

  let cipher: CaseCipher | null;
  try {
    cipher = await caseCipher(caseDir);
  } catch (error) {
    const { code, message } = error as CloudcaseError;
    yield { kind: 'error', member: null, displayName, code, reason: message };
    return;
  }

  if (item.kind === 'zip') {
    yield* openZipMembers(file, item, readLimits, cipher);
    return;
  }
  yield {
    kind: 'stream',
    log: { member: null, displayName, stream: openFile(file, item, readLimits, cipher) },
  };
}

function openFile(
  file: string,
  item: EvidenceItem,
  limits: ReadLimits,
  cipher: CaseCipher | null,
): Readable {
  const label = item.originalPath;
  const hasher = new HashTransform({ sha256: item.sha256, label });
  const stages: Transform[] =
    cipher === null ? [hasher] : [new DecryptTransform(cipher, label), hasher];
  if (item.kind === 'gzip') {
    stages.push(new GunzipStage(GUNZIP_CHUNK_BYTES));
    stages.push(
      new LimitTransform(limits, { expanded: 0 }, { label, compressedBytes: () => hasher.bytes }),
    );
  }

  return chainStreams(
    createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }),
    stages,
    (failure) => readFailure(label, failure),
  );
}
