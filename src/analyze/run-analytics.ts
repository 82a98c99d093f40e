import type { DuckDBConnection } from '@duckdb/node-api';
import type { CorrelationHit, EventMatch, RuleMeta } from '../detect/types.ts';
import { burstAtNewHour } from './burst-at-new-hour.ts';
import { consoleLoginWithoutUsualMfa } from './console-login-without-usual-mfa.ts';
import { longTermKeyNewSource } from './long-term-key-new-source.ts';
import type { Analytic } from './types.ts';

/** The built-in analytics, with their default thresholds. */
export const ANALYTICS: Analytic[] = [
  longTermKeyNewSource(),
  consoleLoginWithoutUsualMfa(),
  burstAtNewHour(),
];

/** Results of `runAnalytics`, split into the two kinds of rows the case store takes. */
export interface AnalyticsResult {
  matches: EventMatch[];
  hits: CorrelationHit[];
}

/** The case store methods that `storeAnalyticsResult` calls; `CaseDb` has all of them. */
export interface AnalyticsStore {
  upsertRules(meta: RuleMeta[]): Promise<void>;
  insertMatches(rows: EventMatch[]): Promise<void>;
  insertCorrelationHits(rows: CorrelationHit[]): Promise<void>;
}

/**
 * Runs analytics one after another on `connection`, which must not be in use by another query,
 * and collects their single-event matches and their hits.
 */
export async function runAnalytics(
  connection: DuckDBConnection,
  analytics: readonly Analytic[] = ANALYTICS,
): Promise<AnalyticsResult> {
  const result: AnalyticsResult = { matches: [], hits: [] };
  for (const analytic of analytics) {
    for (const item of await analytic.run(connection)) {
      if (isCorrelationHit(item)) result.hits.push(item);
      else result.matches.push(item);
    }
  }

  return result;
}

/**
 * Stores the metadata of `analytics` and the results they returned in `store`. Storing the
 * results of a re-run adds nothing for matches and hits already stored.
 */
export async function storeAnalyticsResult(
  store: AnalyticsStore,
  result: AnalyticsResult,
  analytics: readonly Analytic[] = ANALYTICS,
): Promise<void> {
  await store.upsertRules(analytics.map((analytic) => analytic.meta));
  await store.insertMatches(result.matches);
  await store.insertCorrelationHits(result.hits);
}

function isCorrelationHit(item: EventMatch | CorrelationHit): item is CorrelationHit {
  return 'event_uids' in item;
}
