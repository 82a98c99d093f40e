/**
 * The gap analysis of a case: silent sources, accounts and regions in use without audit logs,
 * windows where logging was stopped, deleted, narrowed or its retention shortened, retention
 * shorter than 90 days, and CloudTrail log file integrity from digest files.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { readCaseInfo } from '../case/case-dir.ts';
import type { CaseDb } from '../store/case-db.ts';
import { findMissingCoverage } from './coverage.ts';
import { readDigestEvidence } from './digest-evidence.ts';
import { LogWipes } from './log-wipes.ts';
import { readLoggingCalls } from './logging-calls.ts';
import { loggingWindows } from './logging-windows.ts';
import type { PublicKeySet } from './public-keys.ts';
import { coverageWarnings } from './retention.ts';
import { findSilences, type SilenceOptions, silenceMethod } from './silence.ts';
import type { GapFinding, GapReport } from './types.ts';
import { validateDigests } from './validate-digests.ts';

export interface GapOptions {
  /** CloudTrail public keys; without them digest signatures are not checked. */
  publicKeys?: PublicKeySet | null;
  /** Digest signatures saved from S3 object metadata, by digest file name. */
  signatures?: ReadonlyMap<string, string>;
  silence?: SilenceOptions;
}

const SEVERITY_ORDER = { high: 0, medium: 1, low: 2 } as const;

/** Runs the whole gap analysis on the case that `db` has open. */
export async function analyzeGaps(db: CaseDb, options: GapOptions = {}): Promise<GapReport> {
  const info = await readCaseInfo(db.caseDir).catch(() => null);
  const ingests = await db.ingests();
  const evidence = await readDigestEvidence(db.caseDir, ingests);
  const keys = options.publicKeys ?? null;
  const integrity =
    evidence.digests.length > 0
      ? validateDigests(evidence.digests, evidence.logs, keys, options.signatures)
      : null;
  if (integrity) integrity.integrity.problems.unshift(...evidence.problems);
  const trailBuckets = new Set(evidence.digests.map((d) => d.data.bucket));
  for (const digest of evidence.digests) {
    for (const file of digest.data.logFiles) trailBuckets.add(file.bucket);
  }

  const connection = await db.connect();
  try {
    const evidenceEnd = await latestEvent(connection);
    const silences = await findSilences(connection, options.silence);
    // Object deletions are grouped into wipes as they stream, so that millions of them in a
    // trail bucket take no more memory than one wipe.
    const wipes = new LogWipes();
    const calls = await readLoggingCalls(connection, trailBuckets, (call) => wipes.add(call));
    const windows = loggingWindows(calls, { evidenceEnd, trailBuckets, wipes });
    const coverage = await coverageWarnings(connection, info?.discovered_at ?? null);
    const missing = await findMissingCoverage(connection, evidence.digests);
    const findings = [
      ...windows.findings,
      ...silences.findings,
      ...missing,
      ...(integrity?.findings ?? []),
    ];

    return {
      generated_at: new Date().toISOString(),
      evidence_end: evidenceEnd,
      discovered_at: info?.discovered_at ?? null,
      findings: sortFindings(findings),
      retention: [...windows.retention, ...coverage],
      spacing: silences.spacing,
      integrity: integrity?.integrity ?? null,
      method: silenceMethod(options.silence),
    };
  } finally {
    connection.closeSync();
  }
}

async function latestEvent(connection: DuckDBConnection): Promise<string | null> {
  const rows = (
    await connection.runAndReadAll('SELECT epoch_ms(max(time)) AS t FROM events')
  ).getRowObjectsJS();
  const t = rows[0]?.t;
  return t === null || t === undefined ? null : new Date(Number(t)).toISOString();
}

function sortFindings(findings: GapFinding[]): GapFinding[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.start.localeCompare(b.start),
  );
}
