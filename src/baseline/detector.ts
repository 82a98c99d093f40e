import type { DuckDBConnection } from '@duckdb/node-api';
import type { Level } from '../detect/types.ts';
import type { BaselineOptions } from './options.ts';
import type { AnomalyKind, UsualValue } from './types.ts';

/**
 * One row of a detector's query. Every detector selects these columns: times as epoch
 * milliseconds, `usual` as a list of `{value, count}` structs, `details` as JSON text.
 */
export interface AnomalyRow {
  identity: string;
  value: string;
  uids: string[];
  event_count: number;
  first_ms: number;
  last_ms: number;
  usual: UsualValue[];
  baseline_from_ms: number;
  baseline_to_ms: number;
  baseline_events: number;
  details: Record<string, string | number>;
}

/** A set-based query over `baseline_events` that finds one kind of anomaly. */
export interface Detector {
  kind: AnomalyKind;
  severity: Level;
  /** Title shown in reports. */
  title: string;
  sql: string;
  /** Builds the temporary tables that `sql` reads besides `baseline_events`, if any. */
  prepare?(connection: DuckDBConnection): Promise<void>;
  /** The query's named parameters, from the thresholds. */
  params(options: BaselineOptions): Record<string, number | string>;
  /** Writes the sentence that explains a row: baseline window, usual values, new value. */
  explain(row: AnomalyRow, options: BaselineOptions): string;
}

/** Formats epoch milliseconds as ISO 8601 to the minute, for explanations. */
export function minute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** Lists usual values as `a (12), b (3)`, or `none` for an empty list. */
export function usualList(usual: readonly UsualValue[]): string {
  if (usual.length === 0) return 'none';
  return usual.map((item) => `${item.value} (${item.count})`).join(', ');
}

/** Formats a duration in ms as hours, or minutes below an hour. */
export function duration(ms: number): string {
  const minutes = ms / 60_000;
  return minutes < 60 ? `${round(minutes)} min` : `${round(minutes / 60)} h`;
}

/** Writes a count with its noun, adding `s` unless the count is 1: `1 event`, `3 events`. */
export function count(value: string | number, noun: string): string {
  return `${value} ${noun}${Number(value) === 1 ? '' : 's'}`;
}

/** Rounds to at most one decimal. */
export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** SQL that keeps a flagged group's first `$max_events` uids in time order, and counts all. */
export const MEMBER_COLUMNS = `list(uid ORDER BY time, uid) FILTER (WHERE member_rank <= $max_events) AS uids,
  count(*) AS event_count, epoch_ms(min(time)) AS first_ms, epoch_ms(max(time)) AS last_ms`;
