/**
 * The scope of an entity graph node, for the workbench: what the indicator did and touched,
 * transitively through the sessions and credentials it created, as `cloudcase scope` computes
 * it. The answer is a summary; the events themselves open in the timeline.
 */
import type { Indicator, IndicatorKind } from '../analyze/scope/index.ts';
import { scopeOf } from '../analyze/scope/index.ts';
import { CloudcaseError } from '../core/errors.ts';
import type { CaseDb } from '../store/case-db.ts';
import { HttpError } from './http.ts';

/** Graph node kinds and the indicator kind each is scoped as. */
const INDICATOR_KINDS: Record<string, IndicatorKind> = {
  identity: 'identity',
  access_key: 'key',
  ip: 'ip',
  resource: 'resource',
};

/** Rows listed at most per part of the summary. */
const ROWS = 20;

/** What the workbench shows of a scope. */
export interface ScopeSummary {
  indicator: Indicator;
  events: number;
  first_activity: string | null;
  last_activity: string | null;
  dwell_seconds: number | null;
  by_source: { source: string; events: number }[];
  verdicts: { verdict: string; summary: string }[];
  changes: { operation: string; rollback: string }[];
  data_read: number;
  narrative: string[];
}

/** Scopes one node on a connection of its own, since a scope fills temporary tables. */
export async function scopeSummary(db: CaseDb, kind: string, value: string): Promise<ScopeSummary> {
  const indicatorKind = INDICATOR_KINDS[kind];
  if (indicatorKind === undefined || value === '') {
    throw new HttpError(400, 'invalid_request', 'kind must be a node kind and value not empty');
  }
  const indicator: Indicator = { kind: indicatorKind, value };
  const connection = await db.connect();
  try {
    const scope = await scopeOf(connection, indicator, { eventLimit: 0, rowLimit: ROWS });
    return {
      indicator,
      events: scope.events,
      first_activity: scope.first_activity,
      last_activity: scope.last_activity,
      dwell_seconds: scope.dwell_seconds,
      by_source: scope.by_source.slice(0, ROWS),
      verdicts: scope.vector.map(({ verdict, summary }) => ({ verdict, summary })),
      changes: scope.changes
        .slice(0, ROWS)
        .map(({ operation, rollback }) => ({ operation, rollback })),
      data_read: scope.data_read.length,
      narrative: scope.chain.narrative,
    };
  } catch (error) {
    // A case investigated before entities were extracted has no tables to scope with.
    if (error instanceof CloudcaseError) throw new HttpError(409, error.code, error.message);
    throw error;
  } finally {
    connection.closeSync();
  }
}
