import type { DuckDBConnection } from '@duckdb/node-api';
import type { CorrelationHit, EventMatch, RuleMeta } from '../detect/types.ts';

/**
 * A behaviour analytic: a query over the whole case that flags departures from what the
 * evidence itself shows as normal, such as a key used from a network it never used before.
 * Its results are stored like Sigma detections, under `meta.id`.
 */
export interface Analytic {
  meta: RuleMeta;
  /** Runs the analytic's read-only queries on a connection to the case database. */
  run(connection: DuckDBConnection): Promise<EventMatch[] | CorrelationHit[]>;
}
