/**
 * The report's attack vector and attack chain section: the compromised credentials of the
 * case, each scoped like `cloudcase scope --key`, with the initial-access verdict, and the
 * chain of detections and key events across them as a short narrative.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { narrate } from '../analyze/scope/chain.ts';
import {
  type AttackVector,
  type ChainStep,
  type Change,
  type DataRead,
  type DataReadTotals,
  type Indicator,
  type ScopeResult,
  type SourceUse,
  scopeOf,
} from '../analyze/scope/index.ts';
import { withWrittenJoinOrder } from '../detect/sigma-sql/join-order.ts';
import type { CaseDb } from '../store/case-db.ts';
import { DETECTION_KEYS, withDetectionKeys } from '../store/detection-keys.ts';
import { bytesText } from './scope-amounts.ts';

/** Compromised credentials scoped at most for a report. */
const MAX_SCOPES = 5;
/** Changes to roll back and objects read that the report lists at most. */
export const MAX_LISTED = 200;

/** One compromised credential of the report and what its scope holds. */
export interface CompromiseSummary {
  indicator: Indicator;
  events: number;
  first_activity: string | null;
  last_activity: string | null;
  dwell_seconds: number | null;
  created: number;
  changes: number;
  data_read: number;
  /** Bytes sent to the reader where the logs record them; `null` when no log records them. */
  bytes_read: number | null;
  data_read_totals: DataReadTotals;
  /** Flow records of the scope and the bytes their sources sent. */
  flow_totals: { flows: number; bytes: number };
  /** Sources the scope kept as the intruder's; empty when it kept every event. */
  suspicious_sources: SourceUse[];
  /** Sources left out as the credential's usual activity. */
  usual_sources: SourceUse[];
}

/** The report section: compromises, verdicts, the chain and its narrative. */
export interface AttackSection {
  compromises: CompromiseSummary[];
  vectors: AttackVector[];
  chain: ChainStep[];
  narrative: string[];
  /** Changes of every compromise in time order, at most `MAX_LISTED`, each with its undo. */
  changes: Change[];
  /** Changes found in all, of which `changes` lists the first. */
  change_count: number;
  /** Objects and secrets read across the compromises, at most `MAX_LISTED`. */
  data_read: DataRead[];
  data_read_count: number;
}

// Credentials with a high or critical detection, earliest first: an access key, or for an
// identity that signed no call with one (a console sign-in), the identity. The detections are
// joined with their events by row id (see detection-keys.ts), with `events` as the probe side.
const SEEDS = `SELECT coalesce(e.actor_access_key, e.actor_uid) AS value,
  e.actor_access_key IS NOT NULL AS is_key, min(e.time) AS first
FROM events e
JOIN (SELECT DISTINCT event_row FROM ${DETECTION_KEYS} WHERE event_row IS NOT NULL) k
  ON e.rowid = k.event_row
WHERE coalesce(e.actor_access_key, e.actor_uid) IS NOT NULL
GROUP BY ALL ORDER BY first, value LIMIT 50`;

const SEVERE = {
  where: "d.rule_id IN (SELECT id FROM rules WHERE level IN ('high', 'critical'))",
  events: true,
};

/** Builds the section from the case's detections; empty when nothing severe was detected. */
export async function attackSection(db: CaseDb): Promise<AttackSection> {
  const connection = await db.connect();
  try {
    return await buildSection(connection);
  } finally {
    connection.closeSync();
  }
}

async function buildSection(connection: DuckDBConnection): Promise<AttackSection> {
  const seeds = await withDetectionKeys(connection, SEVERE, async () => {
    const reader = await withWrittenJoinOrder(connection, () => connection.runAndReadAll(SEEDS));
    return reader.getRowObjectsJS();
  });
  const covered = new Set<string>();
  const scopes: ScopeResult[] = [];
  for (const seed of seeds) {
    if (scopes.length >= MAX_SCOPES) break;
    const value = String(seed.value);
    if (covered.has(value)) continue;
    const indicator: Indicator = { kind: seed.is_key === true ? 'key' : 'identity', value };
    const scope = await scopeOf(connection, indicator, { eventLimit: 0, rowLimit: 1000 });
    for (const key of scope.access_keys) covered.add(key.value);
    for (const identity of scope.identities) covered.add(identity.value);
    scopes.push(scope);
  }

  const chain = mergeChains(scopes);
  const changes = uniqueBy(
    scopes.flatMap((scope) => scope.changes),
    (change) => change.event_uid,
  ).sort((a, b) => a.time.localeCompare(b.time));
  // A scope lists at most its row limit of changes; the rest are counted as distinct.
  const unlisted = scopes.reduce(
    (sum, scope) => sum + scope.change_count - scope.changes.length,
    0,
  );
  const reads = uniqueBy(
    scopes.flatMap((scope) => scope.data_read),
    (read) => `${read.resource}\u0000${read.operation}`,
  );
  return {
    compromises: scopes.map(summarize),
    vectors: scopes.flatMap((scope) => scope.vector),
    chain,
    narrative: narrate(chain),
    changes: changes.slice(0, MAX_LISTED),
    change_count: changes.length + unlisted,
    data_read: reads.slice(0, MAX_LISTED),
    data_read_count: reads.length,
  };
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const value = key(item);
    if (seen.has(value)) return false;
    seen.add(value);
    return true;
  });
}

function summarize(scope: ScopeResult): CompromiseSummary {
  return {
    indicator: scope.indicator,
    events: scope.events,
    first_activity: scope.first_activity,
    last_activity: scope.last_activity,
    dwell_seconds: scope.dwell_seconds,
    created: scope.created.length,
    changes: scope.change_count,
    data_read: scope.data_read_totals.resources,
    bytes_read: scope.data_read_totals.bytes,
    data_read_totals: scope.data_read_totals,
    flow_totals: scope.flow_totals,
    suspicious_sources: scope.split.suspicious_sources,
    usual_sources: scope.split.excluded,
  };
}

function mergeChains(scopes: readonly ScopeResult[]): ChainStep[] {
  const seen = new Set<string>();
  const steps: ChainStep[] = [];
  for (const step of scopes.flatMap((scope) => scope.chain.steps)) {
    const key = `${step.time}\u0000${step.title}\u0000${step.actor ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    steps.push(step);
  }

  return steps.sort((a, b) => a.time.localeCompare(b.time));
}

/** Dwell time in words: days, hours and minutes. */
export function dwellText(seconds: number | null): string {
  if (seconds === null) return '-';
  const minutes = Math.round(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts = [days > 0 ? `${days} d` : '', hours > 0 ? `${hours} h` : '', `${minutes % 60} min`];

  return parts.filter((part) => part !== '').join(' ');
}

/** Column names of the compromises table. */
export const COMPROMISE_COLUMNS = [
  'indicator',
  'events',
  'first activity',
  'last activity',
  'dwell',
  'created',
  'changes',
  'objects and secrets read',
  'bytes read',
];

/** Returns the cells of one compromises row. */
export function compromiseCells(row: CompromiseSummary): (string | number | null)[] {
  return [
    `${row.indicator.kind} ${row.indicator.value}`,
    row.events,
    row.first_activity,
    row.last_activity,
    dwellText(row.dwell_seconds),
    row.created,
    row.changes,
    row.data_read,
    row.bytes_read === null ? 'not logged' : bytesText(row.bytes_read),
  ];
}

/** Column names of the changes table. */
export const CHANGE_COLUMNS = ['time', 'operation', 'resources', 'actor', 'rollback'];

/** Returns the cells of one changes row. */
export function changeCells(change: Change): (string | number | null)[] {
  return [change.time, change.operation, change.resources.join(' '), change.actor, change.rollback];
}

/** Column names of the data read table. */
export const READ_COLUMNS = ['resource', 'operation', 'reads', 'bytes sent', 'object size'];

/** Returns the cells of one data read row; a size no log records is `null`. */
export function readCells(read: DataRead): (string | number | null)[] {
  return [
    read.resource,
    read.operation,
    read.events,
    read.bytes === null ? null : bytesText(read.bytes),
    read.object_size === null ? null : bytesText(read.object_size),
  ];
}

/** Describes the earliest suspicious event: time, operation, a failure, and its source. */
export function firstSuspiciousText(first: AttackVector['first_suspicious']): string {
  const failed = first.status === 'failure' ? ' (failed)' : '';
  const from = first.source === null ? '' : ` from ${first.source}`;
  return `${first.time} ${first.operation ?? '-'}${failed}${from}`;
}

/** Column names of the verdicts table. */
export const VECTOR_COLUMNS = ['verdict', 'first suspicious', 'summary', 'evidence'];

/** Returns the cells of one verdicts row. */
export function vectorCells(vector: AttackVector): (string | number | null)[] {
  return [
    vector.verdict.replace(/_/g, ' '),
    firstSuspiciousText(vector.first_suspicious),
    vector.summary,
    vector.evidence.slice(0, 5).join(', '),
  ];
}
