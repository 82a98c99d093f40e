import { createHash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { CaseCipher } from './case-cipher.ts';
import { EncryptedZipReader } from './encrypted-zip-reader.ts';
import { GunzipStage } from './gunzip-stage.ts';
import { modifiedError } from './hash-transform.ts';
import { isGzip, isZip } from './magic.ts';
import { type ExpansionBudget, LimitTransform } from './read-limits.ts';
import { GUNZIP_CHUNK_BYTES } from './read-sizes.ts';
import { readStored } from './read-stored.ts';
import { chainStreams, readFailure } from './stream-chain.ts';
import type { EvidenceItem, MemberError, MemberResult, ReadLimits } from './types.ts';
import { recordedMemberName, zipNameProblem } from './zip-names.ts';

/** State shared by every member of one archive. */
interface ArchiveContext {
  zip: ZipFile;
  item: EvidenceItem;
  limits: ReadLimits;
  budget: ExpansionBudget;
  /** SHA-256 (base64) of each recorded name of the archive's file entries so far. */
  names: Set<string>;
}

/**
 * Yields the file entries of a stored zip as decompressed streams, after checking the whole
 * file against its SHA-256. Directory entries are skipped. Entries with unsafe names, nested
 * archives and unreadable entries yield error results and iteration goes on. A damaged
 * central directory ends the iteration with a `zip_invalid` error result.
 */
export async function* openZipMembers(
  file: string,
  item: EvidenceItem,
  limits: ReadLimits,
  cipher: CaseCipher | null = null,
): AsyncIterable<MemberResult> {
  const label = item.originalPath;
  const digest = await hashStored(file, cipher, label).catch(() => null);
  if (digest !== item.sha256) {
    const error = modifiedError({ sha256: item.sha256, label });
    yield memberError(item, null, error.code, error.message);
    return;
  }

  let zip: ZipFile;
  try {
    // decodeStrings is off because yauzl then stops at the first unsafe name instead of
    // letting the caller report it and go on.
    const options = {
      lazyEntries: true,
      validateEntrySizes: true,
      decodeStrings: false,
      autoClose: false,
    };
    zip =
      cipher === null
        ? await yauzl.openPromise(file, options)
        : await yauzl.fromRandomAccessReaderPromise(
            new EncryptedZipReader(file, cipher, item.size, label),
            item.size,
            options,
          );
  } catch {
    yield memberError(item, null, 'zip_invalid', `${label} is not a readable zip archive.`);
    return;
  }

  yield* iterateEntries({ zip, item, limits, budget: { expanded: 0 }, names: new Set() });
}

async function* iterateEntries(context: ArchiveContext): AsyncIterable<MemberResult> {
  const { zip, item } = context;
  try {
    for await (const entry of zip.eachEntry()) {
      const result = await openEntry(context, entry);
      if (result !== null) yield result;
    }
  } catch {
    yield memberError(
      item,
      null,
      'zip_invalid',
      `The central directory of ${item.originalPath} is damaged after entry ${zip.entriesRead}; ` +
        'the entries before it were read.',
    );
  } finally {
    // Streams still open keep their own reference, so closing here does not cut them off.
    zip.close();
  }
}

async function openEntry(context: ArchiveContext, entry: Entry): Promise<MemberResult | null> {
  const { zip, item } = context;
  const raw = entry.fileName as unknown as Buffer;
  const fullName = yauzl.getFileNameLowLevel(
    entry.generalPurposeBitFlag,
    raw,
    entry.extraFields,
    false,
  );
  if (fullName.endsWith('/')) return null;

  const problem = zipNameProblem(fullName);
  const name = recordedMemberName(fullName);
  if (problem !== null) {
    return memberError(
      item,
      name,
      'zip_path_escape',
      `Entry ${entryLabel(item, name)} ${problem}.`,
    );
  }
  // A zip may contain two entries of one name, and `unzip` keeps the last. The case identifies
  // the streams of an archive by name, so it would take the later entry as already stored
  // and skip its records without a word.
  const nameDigest = createHash('sha256').update(name).digest('base64');
  if (context.names.has(nameDigest)) {
    return memberError(
      item,
      name,
      'zip_duplicate_name',
      `Entry ${entryLabel(item, name)} has the name of an earlier entry, so its records were ` +
        'not read; extract the entry by its position in the archive and acquire it as a file.',
    );
  }
  context.names.add(nameDigest);
  if (entry.isEncrypted()) {
    return memberError(
      item,
      name,
      'zip_entry_unreadable',
      `Entry ${entryLabel(item, name)} is encrypted.`,
    );
  }

  let head: Buffer;
  try {
    head = await readHead(await zip.openReadStreamPromise(entry), 4);
  } catch {
    return memberError(
      item,
      name,
      'zip_entry_unreadable',
      `Entry ${entryLabel(item, name)} cannot be decompressed (unsupported method or damaged data).`,
    );
  }

  // NOTE: a zip inside a zip is reported, not opened; extract it and acquire its content.
  if (isZip(head)) {
    return memberError(
      item,
      name,
      'nested_archive_unsupported',
      `Entry ${entryLabel(item, name)} is itself a zip archive; extract it and acquire its content.`,
    );
  }

  const stream = await openEntryStream(context, entry, name, isGzip(head));
  return { kind: 'stream', log: { member: name, displayName: entryLabel(item, name), stream } };
}

async function openEntryStream(
  context: ArchiveContext,
  entry: Entry,
  name: string,
  gzipped: boolean,
): Promise<Readable> {
  const label = entryLabel(context.item, name);
  const stages: Transform[] = gzipped ? [new GunzipStage(GUNZIP_CHUNK_BYTES)] : [];
  stages.push(
    new LimitTransform(context.limits, context.budget, {
      label,
      compressedBytes: () => entry.compressedSize,
    }),
  );
  const source = await context.zip.openReadStreamPromise(entry);

  return chainStreams(source, stages, (failure) => entryFailure(label, failure));
}

/** Maps a failure inside a zip entry; yauzl's own errors (such as a size mismatch) carry no code. */
function entryFailure(label: string, failure: unknown): CloudcaseError {
  const code = (failure as NodeJS.ErrnoException).code;
  if (failure instanceof CloudcaseError || code !== undefined) return readFailure(label, failure);

  return new CloudcaseError(
    'zip_entry_invalid',
    `Entry ${label} is damaged (its data does not match its header); the data before the ` +
      'damage was delivered.',
    EXIT.partial,
  );
}

function entryLabel(item: EvidenceItem, name: string): string {
  return `${item.originalPath}!${name}`;
}

function memberError(
  item: EvidenceItem,
  member: string | null,
  code: string,
  reason: string,
): MemberError {
  const displayName = member === null ? item.originalPath : entryLabel(item, member);
  return { kind: 'error', member, displayName, code, reason };
}

async function hashStored(file: string, cipher: CaseCipher | null, label: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of readStored(file, cipher, label)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads up to `length` bytes from the start of a stream, then destroys it. */
function readHead(stream: Readable, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (): void => {
      stream.removeAllListeners('data');
      stream.on('error', () => {});
      stream.destroy();
      resolve(Buffer.concat(chunks).subarray(0, length));
    };

    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= length) finish();
    });
    stream.once('end', finish);
    stream.once('error', reject);
  });
}
