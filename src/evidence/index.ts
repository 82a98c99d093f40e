/** The acquire stage: evidence store, manifest, custody chain, verified reads, case checks. */
export { acquire } from './acquire.ts';
export {
  CASE_KEY_ENV,
  CASE_KEY_FILE_ENV,
  caseCipher,
  enableEncryption,
  isEncrypted,
  newKeyText,
  readGivenKey,
} from './case-cipher.ts';
export {
  AFTER_SEAL_ACTIONS,
  appendCustody,
  appendCustodyEntries,
  custodyHash,
  GENESIS_HASH,
  isSealed,
  SEAL_ACTION,
  sealedError,
} from './custody.ts';
export {
  type ChangedTable,
  changedTables,
  FINDINGS_ACTION,
  readFindingsRecord,
} from './findings-records.ts';
export { readJsonLines } from './jsonl.ts';
export { type ManifestEntry, type ManifestLine, readManifest } from './manifest.ts';
export { openEvidence } from './open-evidence.ts';
export { DEFAULT_READ_LIMITS } from './read-limits.ts';
export { caseSigner, createKeyFile, fingerprintOf, SIGNING_KEY_ENV } from './signing-key.ts';
export { INGEST_ACTION, readStoredRecords, type StoredRecord } from './stored-records.ts';
export type * from './types.ts';
export { verifyCase } from './verify-case.ts';
