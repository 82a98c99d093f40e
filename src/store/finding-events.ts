/**
 * Queries over the events that the findings detected, computed in DuckDB: a rule can match
 * most events of a case, so no query here returns a list of uids that grows with the matches,
 * except as a stream.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LEVELS, type Level } from '../detect/types.ts';

/**
 * Streams the uids of the distinct events that a rule detected, in time order and then by
 * uid, one DuckDB chunk (at most 2,048 uids) at a time.
 */
export async function* findingEventUids(
  connection: DuckDBConnection,
  ruleId: string,
): AsyncGenerator<string[]> {
  const result = await connection.stream(
    `SELECT event_uid FROM (SELECT DISTINCT event_uid, time FROM detections WHERE rule_id = $rule)
     ORDER BY time, event_uid`,
    { rule: ruleId },
  );
  for await (const rows of result.yieldRowsJs()) yield rows.map(([uid]) => String(uid));
}

// A level the rules table does not know counts as informational, as `Finding.severity` does.
const LEVEL_SQL = `CASE WHEN r.level IN (${LEVELS.map((level) => `'${level}'`).join(', ')})
  THEN r.level ELSE 'informational' END`;

/**
 * Counts the distinct events the rules of each level detected; an event that two rules of
 * one level detected counts once.
 */
export async function querySeverityEvents(
  connection: DuckDBConnection,
): Promise<Record<Level, number>> {
  const reader = await connection.runAndReadAll(
    `SELECT ${LEVEL_SQL} AS level, count(DISTINCT d.event_uid) AS events
     FROM detections d LEFT JOIN rules r ON r.id = d.rule_id GROUP BY 1`,
  );
  const counts = Object.fromEntries(LEVELS.map((level) => [level, 0])) as Record<Level, number>;
  for (const row of reader.getRowObjectsJS()) counts[row.level as Level] = Number(row.events);

  return counts;
}

/** Rules that matched and distinct events they detected, for one tactic and technique. */
export interface TechniqueCell {
  tactic: string;
  technique: string;
  rules: number;
  events: number;
}

/**
 * Counts, per ATT&CK tactic and technique of the rules that detected events, the rules and
 * the distinct events they detected. A rule without tactics counts under `(no tactic)`, and
 * one without techniques under `(no technique)`.
 *
 * NOTE: a rule's tags do not say which of its techniques belongs to which of its tactics, so a
 * rule with two tactics counts its events under each of its techniques for both.
 */
export async function queryTechniqueCells(connection: DuckDBConnection): Promise<TechniqueCell[]> {
  const reader = await connection.runAndReadAll(
    `SELECT tactic, technique, count(DISTINCT rule_id) AS rules,
       count(DISTINCT event_uid) AS events
     FROM (SELECT rule_id, event_uid, tactic, unnest(techniques) AS technique
       FROM (SELECT rule_id, event_uid, unnest(tactics) AS tactic, techniques
         FROM (SELECT d.rule_id, d.event_uid,
             CASE WHEN len(coalesce(r.tactics, [])) > 0 THEN r.tactics
               ELSE ['(no tactic)'] END AS tactics,
             CASE WHEN len(coalesce(r.techniques, [])) > 0 THEN r.techniques
               ELSE ['(no technique)'] END AS techniques
           FROM (SELECT DISTINCT rule_id, event_uid FROM detections) d
           LEFT JOIN rules r ON r.id = d.rule_id)))
     GROUP BY tactic, technique ORDER BY tactic, technique`,
  );

  return reader.getRowObjectsJS().map((row) => ({
    tactic: String(row.tactic),
    technique: String(row.technique),
    rules: Number(row.rules),
    events: Number(row.events),
  }));
}
