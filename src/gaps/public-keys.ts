/**
 * Reads CloudTrail public keys in the shape `aws cloudtrail list-public-keys` prints:
 * `{"PublicKeyList": [{"Value", "ValidityStartTime", "ValidityEndTime", "Fingerprint"}]}`, where
 * `Value` is the base64 of a DER-encoded PKCS #1 RSA public key.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { CloudcaseError, EXIT } from '../core/errors.ts';

/** A key file larger than this is rejected; AWS lists a handful of keys per region. */
const MAX_KEY_FILE_BYTES = 4 * 1024 * 1024;

/** One public key, by the fingerprint that digest files name. */
export interface CloudTrailPublicKey {
  fingerprint: string;
  key: KeyObject;
  validFrom: string | null;
  validTo: string | null;
}

/** The keys read and the entries that could not be read, each with its list index. */
export interface PublicKeySet {
  keys: Map<string, CloudTrailPublicKey>;
  problems: { file: string; code: string; message: string }[];
}

/**
 * Loads a public key file. Raises `public_keys_unreadable` (exit code 2) when the file cannot
 * be read or is no JSON; a bad entry is reported and the others are kept.
 */
export async function loadPublicKeys(file: string): Promise<PublicKeySet> {
  let parsed: unknown;
  try {
    const info = await stat(file);
    if (info.size > MAX_KEY_FILE_BYTES) throw new Error(`larger than ${MAX_KEY_FILE_BYTES} bytes`);
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CloudcaseError(
      'public_keys_unreadable',
      `cannot read the CloudTrail public keys in ${file} (${(error as Error).message}); ` +
        'save the output of `aws cloudtrail list-public-keys` as JSON',
      EXIT.usage,
    );
  }

  return publicKeysFrom(parsed, file);
}

/** Reads the keys of a parsed `list-public-keys` document. */
export function publicKeysFrom(parsed: unknown, file: string): PublicKeySet {
  const list = Array.isArray(parsed)
    ? parsed
    : ((parsed as { PublicKeyList?: unknown } | null)?.PublicKeyList ?? null);
  const result: PublicKeySet = { keys: new Map(), problems: [] };
  if (!Array.isArray(list)) {
    result.problems.push({
      file,
      code: 'public_keys_invalid',
      message: 'no PublicKeyList array in the public key file',
    });
    return result;
  }

  list.forEach((entry, index) => {
    const key = keyOf(entry);
    if (typeof key === 'string') {
      result.problems.push({
        file,
        code: 'public_key_invalid',
        message: `PublicKeyList[${index}]: ${key}`,
      });
      return;
    }
    result.keys.set(key.fingerprint, key);
  });

  return result;
}

function keyOf(entry: unknown): CloudTrailPublicKey | string {
  if (typeof entry !== 'object' || entry === null) return 'not an object';
  const record = entry as Record<string, unknown>;
  if (typeof record.Value !== 'string') return 'Value is missing';

  const der = Buffer.from(record.Value, 'base64');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  } catch {
    return 'Value is not a base64 DER PKCS #1 RSA public key';
  }
  // NOTE: when an entry has no Fingerprint, the MD5 of the DER key stands in for it; the
  // fingerprints AWS prints are 32 hex digits, the length of an MD5.
  const fingerprint =
    typeof record.Fingerprint === 'string'
      ? record.Fingerprint.toLowerCase()
      : createHash('md5').update(der).digest('hex');

  return {
    fingerprint,
    key,
    validFrom: typeof record.ValidityStartTime === 'string' ? record.ValidityStartTime : null,
    validTo: typeof record.ValidityEndTime === 'string' ? record.ValidityEndTime : null,
  };
}
