import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { DecryptTransform } from './aead-stream.ts';
import type { CaseCipher } from './case-cipher.ts';

/**
 * Streams the original bytes of a stored evidence file: the file itself, or its decrypted and
 * authenticated records when the case is encrypted.
 */
export function readStored(file: string, cipher: CaseCipher | null, label: string): Readable {
  const source = createReadStream(file);
  if (cipher === null) return source;

  const decrypt = new DecryptTransform(cipher, label);
  pipeline(source, decrypt, () => undefined);
  return decrypt;
}
