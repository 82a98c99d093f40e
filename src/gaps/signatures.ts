/**
 * Reads CloudTrail digest signatures that were saved beside the digests. S3 keeps a digest's
 * signature in the object metadata (`x-amz-meta-signature`), which a downloaded file loses, so a
 * responder can save it, for example from `aws s3api head-object`, in either shape:
 * `{"<digest key or file name>": "<hex signature>", …}`, or a list (or JSON lines) of
 * `{"Key": "<digest key>", "Metadata": {"signature": "<hex signature>"}}`.
 */
import { readFile, stat } from 'node:fs/promises';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { baseName } from './digest-format.ts';

/** A signatures file larger than this is rejected. */
const MAX_SIGNATURES_BYTES = 64 * 1024 * 1024;

const HEX = /^[0-9a-f]+$/i;

/**
 * Loads signatures by digest file name. Raises `signatures_unreadable` (exit code 2) when the
 * file cannot be read or has neither shape.
 */
export async function loadSignatures(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    if ((await stat(file)).size > MAX_SIGNATURES_BYTES) {
      throw new Error(`larger than ${MAX_SIGNATURES_BYTES} bytes`);
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw unreadable(file, (error as Error).message);
  }

  return signaturesFrom(parseDocuments(text, file), file);
}

function parseDocuments(text: string, file: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    try {
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    } catch (error) {
      throw unreadable(file, `not JSON or JSON lines (${(error as Error).message})`);
    }
  }
}

/** Collects the signatures of parsed documents, keyed by digest file name. */
export function signaturesFrom(documents: readonly unknown[], file: string): Map<string, string> {
  const signatures = new Map<string, string>();
  for (const document of documents) {
    if (typeof document !== 'object' || document === null) continue;
    const record = document as Record<string, unknown>;
    const key = record.Key ?? record.key;
    const metadata = record.Metadata as Record<string, unknown> | undefined;
    const signature = metadata?.signature ?? record.signature;
    if (typeof key === 'string' && typeof signature === 'string') {
      if (HEX.test(signature)) signatures.set(baseName(key), signature.toLowerCase());
      continue;
    }
    for (const [name, value] of Object.entries(record)) {
      if (typeof value === 'string' && HEX.test(value)) signatures.set(baseName(name), value);
    }
  }
  if (signatures.size === 0) throw unreadable(file, 'no digest signature found');

  return signatures;
}

function unreadable(file: string, reason: string): CloudcaseError {
  return new CloudcaseError(
    'signatures_unreadable',
    `cannot read the CloudTrail digest signatures in ${file} (${reason}); see cloudcase gaps --help`,
    EXIT.usage,
  );
}
