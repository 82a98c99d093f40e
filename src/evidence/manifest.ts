import { isSha256, manifestPath, storedPathFor } from './case-layout.ts';
import { appendLine, readJsonLines } from './jsonl.ts';
import { serialize } from './serialize.ts';
import type { EvidenceKind } from './types.ts';

/** One line of `manifest.jsonl`: an item acquired into the case. */
export interface ManifestEntry {
  sha256: string;
  size: number;
  kind: EvidenceKind;
  /** Absolute path the item was first read from. */
  original_path: string;
  /** Real path of the file that `original_path` links to, present only when it is a symlink. */
  resolved_path?: string;
  /** `evidence/<sha[0:2]>/<sha>`, relative to the case folder. */
  stored_path: string;
  acquired_at: string;
  acquired_by: string;
  /** Host name of the machine that acquired the item. */
  host: string;
}

/** A manifest line that parsed, or why it did not. */
export type ManifestLine =
  | { line: number; ok: true; entry: ManifestEntry }
  | { line: number; ok: false; reason: string };

const KINDS: readonly string[] = ['plain', 'gzip', 'zip'];

/**
 * Appends items to the manifest with one write and one flush to disk, serialized with other
 * appends to the same case.
 */
export function appendManifestEntries(
  caseDir: string,
  entries: readonly ManifestEntry[],
): Promise<void> {
  if (entries.length === 0) return Promise.resolve();
  const file = manifestPath(caseDir);
  const text = entries.map((entry) => JSON.stringify(entry)).join('\n');
  return serialize(file, () => appendLine(file, text));
}

/** Streams the manifest's lines, each checked for the fields and forms an entry needs. */
export async function* readManifest(caseDir: string): AsyncIterable<ManifestLine> {
  for await (const parsed of readJsonLines(manifestPath(caseDir))) {
    if (!parsed.ok) {
      yield parsed;
      continue;
    }
    const reason = manifestEntryProblem(parsed.value);
    yield reason === null
      ? { line: parsed.line, ok: true, entry: parsed.value as ManifestEntry }
      : { line: parsed.line, ok: false, reason };
  }
}

function manifestEntryProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';

  const entry = value as Partial<Record<keyof ManifestEntry, unknown>>;
  if (!isSha256(entry.sha256)) return 'sha256 is not a SHA-256 hex digest';
  if (!Number.isSafeInteger(entry.size)) return 'size is not an integer';
  if (typeof entry.kind !== 'string' || !KINDS.includes(entry.kind)) return 'kind is invalid';
  // The stored path is derived, so a line pointing anywhere else is tampered or corrupt.
  if (entry.stored_path !== storedPathFor(entry.sha256)) return 'stored_path does not match sha256';
  if (typeof entry.original_path !== 'string') return 'original_path is missing';
  if (typeof entry.acquired_at !== 'string') return 'acquired_at is missing';

  return null;
}
