/**
 * Behaviour baselines: each identity's usual source addresses, networks, countries, user
 * agents, regions, operations, volumes and hours, learnt from the case's own events, and the
 * anomalies that depart from them.
 */
import type { CaseDb } from '../store/case-db.ts';
import { type BaselineResult, type RunBaselinesOptions, runBaselines } from './run-baselines.ts';
import type { BaselineSummary } from './types.ts';

export { BASELINE_DEFAULTS, type BaselineOptions } from './options.ts';
export {
  type BaselineResult,
  DETECTORS,
  type RunBaselinesOptions,
  runBaselines,
} from './run-baselines.ts';
export { countAnomalies, readAnomalies } from './store.ts';
export * from './types.ts';

/** Runs the baselines over the whole case on a connection of their own and stores the result. */
export async function runCaseBaselines(
  db: CaseDb,
  options: RunBaselinesOptions = {},
): Promise<BaselineSummary> {
  const result: BaselineResult = await withConnection(db, (connection) =>
    runBaselines(connection, options),
  );
  return result.summary;
}

async function withConnection<T>(
  db: CaseDb,
  work: (connection: Awaited<ReturnType<CaseDb['connect']>>) => Promise<T>,
): Promise<T> {
  const connection = await db.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
  }
}
