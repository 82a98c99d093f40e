import fs from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { custodyPath, evidenceDir, partialDir } from './case-layout.ts';
import { appendCustodyEntries, isSealed, sealedError } from './custody.ts';
import { walkInputs } from './input-walk.ts';
import { readJsonLines } from './jsonl.ts';
import { appendManifestEntries, type ManifestEntry, readManifest } from './manifest.ts';
import { type StoredFile, storeFile } from './store-file.ts';
import type { AcquireOptions, AcquireResult, CustodyRequest, EvidenceItem } from './types.ts';
import { manifestEntryHash } from './verify-binding.ts';

/** Digests the case already records, so re-adding the same bytes adds nothing. */
interface KnownEvidence {
  manifest: Map<string, ManifestEntry>;
  /** Digests that already have an `acquire` custody entry. */
  custody: Set<string>;
}

/**
 * Acquires files and folders into the case: each regular file is copied into the evidence
 * store, listed in `manifest.jsonl` and recorded in `custody.jsonl`. Content the case already
 * contains yields an item with `isNew: false` and appends nothing. An input that cannot be read
 * yields an error result and the run goes on. Results come in walk order (see `walkInputs`).
 * Raises `CloudcaseError` only when the case folder itself cannot be written.
 */
export async function* acquire(
  paths: string[],
  caseDir: string,
  opts: AcquireOptions,
): AsyncIterable<AcquireResult> {
  if (await isSealed(caseDir)) throw sealedError(caseDir);
  await fs.mkdir(evidenceDir(caseDir), { recursive: true });
  await removeInterruptedCopies(caseDir);
  const known = await loadKnownEvidence(caseDir);

  let pending: { stored: StoredFile; source: Source }[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<AcquireResult[]> => {
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    const items = await recordBatch(batch, caseDir, known, opts);
    return items.map((item) => ({ kind: 'item', item }));
  };

  for await (const input of walkInputs(paths, caseDir)) {
    if (input.kind === 'error') {
      yield* await flush();
      // Debug only: the caller reports error results, and would log them twice.
      opts.logger.debug('input not acquired', { path: input.path, code: input.code });
      yield input;
      continue;
    }

    // The bytes come from the resolved target, the path the walk checked, not from the link.
    const stored = await storeFile(input.resolvedPath ?? input.path, caseDir);
    if (stored.kind === 'error') {
      yield* await flush();
      opts.logger.debug('input not acquired', { path: stored.path, code: stored.code });
      yield stored;
      continue;
    }
    pending.push({ stored, source: { path: input.path, resolvedPath: input.resolvedPath } });
    pendingBytes += stored.size;
    if (pending.length >= BATCH_FILES || pendingBytes >= BATCH_BYTES) yield* await flush();
  }
  yield* await flush();
}

/**
 * Files copied are recorded in batches: the manifest lines of a batch in one write, then its
 * custody entries in another, each flushed to disk once. Each file cost three flushes before
 * (its copy, its manifest line, its custody entry), which made a folder of small CloudTrail
 * files wait on the disk. A batch ends at this many files or bytes, or before an input that
 * cannot be read, so results keep the walk order.
 */
const BATCH_FILES = 64;
const BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Deletes copies that an interrupted run left half-written in `evidence/.partial/`. They are not
 * evidence: the manifest never lists them, and their input is copied again when it is given.
 * Callers must hold the case database, so that no other process is copying into the store.
 */
async function removeInterruptedCopies(caseDir: string): Promise<void> {
  const folder = partialDir(caseDir);
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  for (const name of names) await fs.rm(path.join(folder, name), { force: true });
}

/** Input path of an item, and the real path read when that input is a symlink. */
interface Source {
  path: string;
  resolvedPath: string | undefined;
}

/**
 * Records a batch of copied files in the manifest and the ledger, and returns their items in
 * order. A file whose content the case (or an earlier file of the batch) already contains is
 * listed once. The manifest lines are flushed before the custody entries, and a run interrupted
 * between the two appends the missing entries when it acquires the files again.
 */
async function recordBatch(
  batch: readonly { stored: StoredFile; source: Source }[],
  caseDir: string,
  known: KnownEvidence,
  opts: AcquireOptions,
): Promise<EvidenceItem[]> {
  const lines: ManifestEntry[] = [];
  const custody: CustodyRequest[] = [];
  const items: EvidenceItem[] = [];
  for (const { stored, source } of batch) {
    const existing = known.manifest.get(stored.sha256);
    const entry = existing ?? manifestEntry(stored, source, opts.analyst);
    if (existing === undefined) {
      lines.push(entry);
      known.manifest.set(entry.sha256, entry);
    }
    if (!known.custody.has(entry.sha256)) {
      custody.push({
        actor: opts.analyst,
        action: 'acquire',
        sha256: entry.sha256,
        details: {
          original_path: entry.original_path,
          size: entry.size,
          kind: entry.kind,
          host: entry.host,
          ...(entry.resolved_path === undefined ? {} : { resolved_path: entry.resolved_path }),
          manifest_sha256: manifestEntryHash(entry),
        },
      });
      known.custody.add(entry.sha256);
    }
    opts.logger.debug('evidence acquired', {
      path: source.path,
      sha256: entry.sha256,
      new: !existing,
    });
    items.push({
      sha256: entry.sha256,
      size: entry.size,
      kind: entry.kind,
      originalPath: source.path,
      storedPath: entry.stored_path,
      acquiredAt: entry.acquired_at,
      isNew: existing === undefined,
    });
  }
  await appendManifestEntries(caseDir, lines);
  await appendCustodyEntries(caseDir, custody);
  return items;
}

function manifestEntry(stored: StoredFile, source: Source, analyst: string): ManifestEntry {
  const entry: ManifestEntry = {
    sha256: stored.sha256,
    size: stored.size,
    kind: stored.evidenceKind,
    original_path: source.path,
    stored_path: stored.storedPath,
    acquired_at: new Date().toISOString(),
    acquired_by: analyst,
    host: hostname(),
  };
  if (source.resolvedPath !== undefined) entry.resolved_path = source.resolvedPath;

  return entry;
}

async function loadKnownEvidence(caseDir: string): Promise<KnownEvidence> {
  const known: KnownEvidence = { manifest: new Map(), custody: new Set() };
  for await (const line of readManifest(caseDir)) {
    if (line.ok && !known.manifest.has(line.entry.sha256)) {
      known.manifest.set(line.entry.sha256, line.entry);
    }
  }

  for await (const line of readJsonLines(custodyPath(caseDir))) {
    if (!line.ok) continue;
    const { action, sha256 } = (line.value ?? {}) as { action?: unknown; sha256?: unknown };
    if (action === 'acquire' && typeof sha256 === 'string') known.custody.add(sha256);
  }

  return known;
}
