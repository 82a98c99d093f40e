/** Gap analysis of a case: logs that are missing, stopped, narrowed or tampered with. */
import type { CaseDb } from '../store/case-db.ts';
import { analyzeGaps } from './analyze-gaps.ts';
import { saveGapReport } from './gap-store.ts';
import { loadPublicKeys } from './public-keys.ts';
import { loadSignatures } from './signatures.ts';
import type { SilenceOptions } from './silence.ts';
import type { GapReport } from './types.ts';

export { analyzeGaps, type GapOptions } from './analyze-gaps.ts';
export { readGapReport, saveGapReport } from './gap-store.ts';
export { loadPublicKeys, type PublicKeySet, publicKeysFrom } from './public-keys.ts';
export type * from './types.ts';

/** Options of `runGapAnalysis`. */
export interface GapRunOptions {
  /** A `aws cloudtrail list-public-keys` JSON file; without it signatures are not checked. */
  publicKeysFile?: string | undefined;
  /** Digest signatures saved from S3 object metadata; see `loadSignatures`. */
  signaturesFile?: string | undefined;
  silence?: SilenceOptions;
}

/** Runs the gap analysis on the case that `db` has open and stores it for the reports. */
export async function runGapAnalysis(db: CaseDb, options: GapRunOptions = {}): Promise<GapReport> {
  const publicKeys = options.publicKeysFile ? await loadPublicKeys(options.publicKeysFile) : null;
  const signatures = options.signaturesFile ? await loadSignatures(options.signaturesFile) : null;
  const report = await analyzeGaps(db, {
    publicKeys,
    ...(signatures ? { signatures } : {}),
    ...(options.silence ? { silence: options.silence } : {}),
  });
  await saveGapReport(db, report);

  return report;
}
