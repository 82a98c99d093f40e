import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { ManifestEntry } from './manifest.ts';
import type { VerifyProblem } from './types.ts';
import type { AcquireRecord } from './verify-custody.ts';
import type { ListedItem } from './verify-evidence.ts';

/** SHA-256 over the canonical JSON of a manifest entry, recorded in its `acquire` entry. */
export function manifestEntryHash(entry: ManifestEntry): string {
  return createHash('sha256').update(canonicalJson(entry)).digest('hex');
}

/**
 * Checks the manifest against the custody ledger: every item needs an `acquire` entry and
 * every `acquire` entry an item; each line must still hash to what its entry recorded; and
 * the manifest lists the items in the order the ledger acquired them.
 */
export function checkBinding(
  items: Map<string, ListedItem>,
  acquired: Map<string, AcquireRecord>,
  problems: VerifyProblem[],
): void {
  for (const [sha256, { entry, line }] of items) {
    const record = acquired.get(sha256);
    if (record === undefined) {
      problems.push({
        code: 'custody_missing_acquire',
        sha256,
        line,
        message: `Evidence ${sha256} has no acquire entry in custody.jsonl.`,
      });
      continue;
    }
    if (record.manifestSha256 !== null && record.manifestSha256 !== manifestEntryHash(entry)) {
      problems.push({
        code: 'manifest_changed',
        sha256,
        line,
        seq: record.seq,
        message: `manifest.jsonl line ${line} (${sha256}) differs from the line custody entry ${record.seq} recorded.`,
      });
    }
  }
  for (const [sha256, { seq }] of acquired) {
    if (items.has(sha256)) continue;
    problems.push({
      code: 'manifest_missing_item',
      sha256,
      seq,
      message: `Custody entry ${seq} acquired ${sha256}, which manifest.jsonl does not list.`,
    });
  }
  checkOrder(items, acquired, problems);
}

function checkOrder(
  items: Map<string, ListedItem>,
  acquired: Map<string, AcquireRecord>,
  problems: VerifyProblem[],
): void {
  const listed = [...items.keys()].filter((sha256) => acquired.has(sha256));
  const ledger = [...acquired.keys()].filter((sha256) => items.has(sha256));
  listed.forEach((sha256, index) => {
    if (ledger[index] === sha256) return;
    const line = items.get(sha256)?.line;
    problems.push({
      code: 'manifest_order',
      sha256,
      ...(line === undefined ? {} : { line }),
      message:
        `manifest.jsonl line ${line} (${sha256}) is out of order: the ledger acquired ` +
        `${ledger[index]} in that place.`,
    });
  });
}
