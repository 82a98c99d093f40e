/**
 * The scope of an entity graph node, for the workbench: what the indicator did and touched,
 * transitively through the sessions and credentials it created, as `cloudcase scope` computes
 * it. The answer is a summary; the events themselves open in the timeline.
 */
import type {
  DataReadTotals,
  Indicator,
  IndicatorKind,
  ScopeResult,
} from '../analyze/scope/index.ts';
import { scopeOf } from '../analyze/scope/index.ts';
import { CloudcaseError } from '../core/errors.ts';
import { dataReadText, flowText } from '../report/scope-amounts.ts';
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

/** The part of a scope the workbench shows, with the same totals as `cloudcase scope`. */
export interface ScopeSummary {
  indicator: Indicator;
  /** Whether only suspicious sources were kept, and which sources were left out as usual. */
  split: { mode: 'all' | 'suspicious'; suspicious_sources: SourceCount[]; excluded: SourceCount[] };
  events: number;
  first_activity: string | null;
  last_activity: string | null;
  dwell_seconds: number | null;
  by_source: { source: string; events: number }[];
  verdicts: {
    verdict: string;
    summary: string;
    first_suspicious: {
      time: string;
      operation: string | null;
      status: string | null;
      source: string | null;
    };
  }[];
  /** Changes to roll back in all; `changes` lists the first of them. */
  change_count: number;
  changes: { time: string; operation: string; resources: string[]; rollback: string }[];
  data_read: DataReadTotals;
  /** The data read in words, as the CLI and the report write it. */
  data_read_text: string;
  /** Flow records and bytes sent in words, or `null` without flow records. */
  flow_text: string | null;
  narrative: string[];
}

/** A source of the indicator's own events and how many events came from it. */
interface SourceCount {
  source: string | null;
  events: number;
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
    return summarize(scope);
  } catch (error) {
    // A case investigated before entities were extracted has no tables to scope with.
    if (error instanceof CloudcaseError) throw new HttpError(409, error.code, error.message);
    throw error;
  } finally {
    connection.closeSync();
  }
}

function summarize(scope: ScopeResult): ScopeSummary {
  const counts = (uses: ScopeResult['split']['excluded']) =>
    uses.slice(0, ROWS).map(({ source, events }) => ({ source, events }));

  return {
    indicator: scope.indicator,
    split: {
      mode: scope.split.mode,
      suspicious_sources: counts(scope.split.suspicious_sources),
      excluded: counts(scope.split.excluded),
    },
    events: scope.events,
    first_activity: scope.first_activity,
    last_activity: scope.last_activity,
    dwell_seconds: scope.dwell_seconds,
    by_source: scope.by_source.slice(0, ROWS),
    verdicts: scope.vector.map(({ verdict, summary, first_suspicious }) => ({
      verdict,
      summary,
      first_suspicious: {
        time: first_suspicious.time,
        operation: first_suspicious.operation,
        status: first_suspicious.status,
        source: first_suspicious.source,
      },
    })),
    change_count: scope.change_count,
    changes: scope.changes.slice(0, ROWS).map(({ time, operation, resources, rollback }) => ({
      time,
      operation,
      resources,
      rollback,
    })),
    data_read: scope.data_read_totals,
    data_read_text: dataReadText(scope.data_read_totals),
    flow_text: flowText(scope.flow_totals),
    narrative: scope.chain.narrative,
  };
}
