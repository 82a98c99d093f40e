import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';

/** Environment variable naming a private key file kept outside the case folder. */
export const SIGNING_KEY_ENV = 'CLOUDCASE_SIGNING_KEY';

/** Public key of the case, beside the ledger, so anyone can verify without the private key. */
export const PUBLIC_KEY_FILE = 'custody.pub';

/** Default place of the private key when no external key is given. */
export const DEFAULT_KEY_FILE = path.join('keys', 'custody-signing.pem');

/** An Ed25519 key pair that signs the custody ledger of one case. */
export interface Signer {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SHA-256 of the public key's DER (SPKI) encoding, lowercase hex. */
  fingerprint: string;
  /** Where the private key was read from. */
  keyFile: string;
}

const signers = new Map<string, Promise<Signer>>();

/**
 * Returns the signer of a case. The private key comes from `keyFile`, else from the file named
 * by `CLOUDCASE_SIGNING_KEY`, else from `keys/custody-signing.pem` in the case, which is
 * created (mode 0600) for a case that has no public key yet. The first key used becomes the
 * case's key: its public half is written to `custody.pub`, and a later key that does not match
 * it is refused with `signing_key_mismatch`.
 */
export function caseSigner(caseDir: string, keyFile?: string): Promise<Signer> {
  const file = keyFile ?? process.env[SIGNING_KEY_ENV] ?? path.join(caseDir, DEFAULT_KEY_FILE);
  const external = keyFile !== undefined || process.env[SIGNING_KEY_ENV] !== undefined;
  const cacheKey = `${path.resolve(caseDir)}\0${path.resolve(file)}`;
  const cached = signers.get(cacheKey);
  if (cached !== undefined) return cached;

  const loading = loadSigner(caseDir, path.resolve(file), external);
  signers.set(cacheKey, loading);
  loading.catch(() => signers.delete(cacheKey));

  return loading;
}

async function loadSigner(caseDir: string, file: string, external: boolean): Promise<Signer> {
  const recorded = await readPublicKey(caseDir);
  let pem = await readOptional(file);
  if (pem === null) {
    if (external) {
      throw keyError('signing_key_not_found', `signing key ${file} does not exist; check the path`);
    }
    if (recorded !== null) {
      throw keyError(
        'signing_key_missing',
        `the custody ledger of ${caseDir} is signed with a key that is not in the case; ` +
          `set ${SIGNING_KEY_ENV} to its file`,
      );
    }
    pem = await createKeyFile(file);
  }

  const signer = signerFromPem(pem, file);
  if (recorded === null) {
    await fs.writeFile(path.join(caseDir, PUBLIC_KEY_FILE), exportPublic(signer.publicKey));
  } else if (fingerprintOf(recorded) !== signer.fingerprint) {
    throw keyError(
      'signing_key_mismatch',
      `signing key ${file} is not the key of this case (its public key is ${PUBLIC_KEY_FILE}); ` +
        'use the key the case was created with',
    );
  }

  return signer;
}

/** Generates an Ed25519 private key and writes it as PKCS#8 PEM with mode 0600. */
export async function createKeyFile(file: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await fs.writeFile(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw keyError('signing_key_exists', `${file} exists already; choose another file`);
    }
    throw error;
  }

  return pem;
}

function signerFromPem(pem: string, file: string): Signer {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw keyError('signing_key_invalid', `${file} is not a PEM private key`, error);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw keyError('signing_key_invalid', `${file} is not an Ed25519 key`);
  }
  const publicKey = createPublicKey(privateKey);

  return { privateKey, publicKey, fingerprint: fingerprintOf(publicKey), keyFile: file };
}

/** Reads `custody.pub` of a case, or `null` when the case has none. */
export async function readPublicKey(caseDir: string): Promise<KeyObject | null> {
  return readPublicKeyFile(path.join(caseDir, PUBLIC_KEY_FILE), false);
}

/**
 * Reads a public key file (or the public half of a private key file). A missing file gives
 * `null` unless `required`; a file that contains no Ed25519 key raises `public_key_invalid`.
 */
export async function readPublicKeyFile(
  file: string,
  required: boolean,
): Promise<KeyObject | null> {
  const pem = await readOptional(file);
  if (pem === null) {
    if (!required) return null;
    throw keyError('public_key_not_found', `public key ${file} does not exist; check the path`);
  }
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // Reported below with the same message as a key of another type.
  }
  throw keyError(
    'public_key_invalid',
    `${file} contains no Ed25519 public key; give the case's custody.pub or a key file from cloudcase case keygen`,
  );
}

/** SHA-256 over the DER (SPKI) encoding of a public key, lowercase hex. */
export function fingerprintOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/** Signs `message` and returns the signature in base64. */
export function signText(signer: Signer, message: string): string {
  return sign(null, Buffer.from(message, 'utf8'), signer.privateKey).toString('base64');
}

/** Checks a base64 signature over `message`; a malformed signature is simply invalid. */
export function verifyText(publicKey: KeyObject, message: string, signature: unknown): boolean {
  if (typeof signature !== 'string') return false;
  try {
    return verify(null, Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function exportPublic(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw keyError(
      'signing_key_unreadable',
      `${file} cannot be read; check its permissions`,
      error,
    );
  }
}

function keyError(code: string, message: string, cause?: unknown): CloudcaseError {
  return new CloudcaseError(code, message, EXIT.case, cause === undefined ? {} : { cause });
}
