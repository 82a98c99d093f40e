/** Threat intelligence: indicators from STIX, MISP, CSV and plain lists, matched to events. */
import type { Logger } from '../core/logger.ts';
import type { CaseDb } from '../store/case-db.ts';
import { storeIntel } from './intel-store.ts';
import { loadIntel } from './load.ts';
import { matchIndicatorEvents } from './match.ts';
import type { IntelFileSummary } from './types.ts';

export { type IntelReport, readIntelReport } from './intel-store.ts';
export { loadIntel, loadIntelFile } from './load.ts';
export {
  type IndicatorHit,
  type IntelMatch,
  matchIndicatorEvents,
  matchIndicators,
} from './match.ts';
export type * from './types.ts';

/** Counts of one `runIntel` call: files, indicators, matches and unread entries. */
export interface IntelRunSummary {
  files: IntelFileSummary[];
  indicators: number;
  /** Indicators that matched at least one event. */
  indicators_matched: number;
  /** Distinct events that at least one indicator matched. */
  events_matched: number;
  /** Entries of all files that could not be read. */
  problems: number;
}

/**
 * Loads the intel files, matches their indicators against every event of the case, and stores
 * each matched indicator as a detection that names it and its file. Entries that cannot be read
 * are logged with file and line, and the run goes on.
 */
export async function runIntel(
  db: CaseDb,
  files: readonly string[],
  logger: Logger,
): Promise<IntelRunSummary | null> {
  if (files.length === 0) return null;
  const set = await loadIntel(files);
  let problems = 0;
  for (const file of set.files) {
    problems += file.problems.length;
    for (const problem of file.problems.slice(0, 20)) {
      logger.warn('intel entry not read', {
        file: problem.file,
        line: problem.line,
        code: problem.code,
      });
    }
    if (file.problems.length > 20) {
      logger.warn('more intel entries not read', {
        file: file.file,
        count: file.problems.length - 20,
      });
    }
  }

  const connection = await db.connect();
  const { hits, events } = await matchIndicatorEvents(connection, set.indicators).finally(() =>
    connection.closeSync(),
  );
  await storeIntel(db, set.files, hits);
  logger.debug('intel matched', { indicators: set.indicators.length, matched: hits.length });

  return {
    files: set.files,
    indicators: set.indicators.length,
    indicators_matched: hits.length,
    events_matched: events,
    problems,
  };
}
