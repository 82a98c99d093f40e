/** The acquire stage: evidence store, manifest, custody chain, verified reads, case checks. */
export { acquire } from './acquire.ts';
export { appendCustody, custodyHash, GENESIS_HASH } from './custody.ts';
export { type ManifestEntry, type ManifestLine, readManifest } from './manifest.ts';
export { openEvidence } from './open-evidence.ts';
export { DEFAULT_READ_LIMITS } from './read-limits.ts';
export type * from './types.ts';
export { verifyCase } from './verify-case.ts';
