/** The case store: `case.duckdb` and the types its queries return. */
export { CaseDb } from './case-db.ts';
export {
  correlationHitId,
  insertMatchRelation,
  type RuleModelRow,
} from './detection-rows.ts';
export { storedReportPath } from './encrypted-files.ts';
export { type EventRowValues, eventRowValues } from './event-row.ts';
export type { EventWriter } from './event-writer.ts';
export { findingEventUidsJson, type TechniqueCell } from './finding-events.ts';
export { type CompletedStream, ingestKey, type PartialStream } from './ingest-state.ts';
export { CASE_DB_FILE } from './open-database.ts';
export { MAX_FINDING_EXPLANATIONS } from './summary-queries.ts';
export type * from './types.ts';
export { setWorkingCopyWarnings, WORK_DIR_ENV } from './working-copy.ts';
