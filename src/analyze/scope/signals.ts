/**
 * Signs that an event of a scope is the intruder's rather than the identity's owner's: a
 * detection of medium severity or above, a baseline anomaly that marks the source as new, or a
 * threat-intel match. A rule that also fires on the identity's usual sources, such as one that
 * flags every call of the root user, cannot tell the owner from the intruder. Its detections
 * are left out as "blanket" rules.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withWrittenJoinOrder } from '../../detect/sigma-sql/join-order.ts';
import { INTEL_RULE_PREFIX } from '../../intel/intel-store.ts';
import { rows } from './values.ts';

/** Severities of the detections that make a source of the indicator suspicious. */
export const SUSPICIOUS_LEVELS = "('medium', 'high', 'critical')";

/** Baseline anomalies that mark an event as coming from a source the identity had not used. */
export const NEW_SOURCE_ANOMALIES = `('new_source_ip', 'new_network', 'new_country',
  'new_user_agent', 'impossible_travel')`;

/**
 * Creates `scope_anomalous` (uid): the events that a new-source anomaly lists. A case stored
 * before baselines existed has no anomalies table, and then the table is empty.
 */
export async function createAnomalous(connection: DuckDBConnection): Promise<void> {
  const source = (await hasAnomalies(connection))
    ? `SELECT DISTINCT unnest(event_uids) AS uid FROM anomalies WHERE kind IN ${NEW_SOURCE_ANOMALIES}`
    : 'SELECT NULL::VARCHAR AS uid WHERE false';
  await connection.run(`CREATE OR REPLACE TEMP TABLE scope_anomalous AS ${source}`);
}

/** Returns whether the case has the anomalies table, which a read-only open cannot create. */
export async function hasAnomalies(connection: DuckDBConnection): Promise<boolean> {
  const [row] = await rows(
    connection,
    "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'anomalies'",
  );
  return Number(row?.n ?? 0) > 0;
}

/**
 * Creates `scope_detected` (uid): the events of `scope_events` with a detection of medium
 * severity or above by a rule not in `scope_blanket`. Needs both tables.
 */
export async function createDetected(connection: DuckDBConnection): Promise<void> {
  // `detections` is the probe side, so no hash table contains every detection's uid.
  await withWrittenJoinOrder(connection, () =>
    connection.run(`CREATE OR REPLACE TEMP TABLE scope_detected AS
      SELECT DISTINCT d.event_uid AS uid
      FROM detections d JOIN scope_events s ON s.uid = d.event_uid JOIN rules r ON r.id = d.rule_id
      WHERE r.level IN ${SUSPICIOUS_LEVELS}
        AND d.rule_id NOT IN (SELECT rule FROM scope_blanket)`),
  );
}

/**
 * Returns a SQL condition, true when the event aliased `alias` has a detection of medium
 * severity or above by a rule not in `scope_blanket`. Needs `scope_detected`, which lists only
 * the events of `scope_events`.
 */
export function detectedSql(alias: string): string {
  return `${alias}.uid IN (SELECT uid FROM scope_detected)`;
}

/**
 * Returns a SQL condition, true when the event aliased `alias` carries a sign of the intruder:
 * a detection that `detectedSql` accepts, or a new-source anomaly. Needs `scope_anomalous` and
 * `scope_detected`.
 */
export function signalSql(alias: string): string {
  return `(${detectedSql(alias)} OR ${alias}.uid IN (SELECT uid FROM scope_anomalous))`;
}

/** Creates an empty `scope_blanket`, for scopes that do not tell usual sources apart. */
export async function noBlanketRules(connection: DuckDBConnection): Promise<void> {
  await connection.run('CREATE OR REPLACE TEMP TABLE scope_blanket (rule VARCHAR)');
}

/**
 * A source used successfully this long before the first sign on it, or on any other source of
 * the indicator, is the indicator's usual activity, not the attacker's.
 */
const STANDING = 'INTERVAL 24 HOUR';

/**
 * Classifies the sources of `scope_seed` (uid, time, status, src) into four temporary tables.
 * `scope_signals` (uid, src, time, rule, intel) lists every sign on the indicator's events, with
 * `rule` null for an anomaly. `scope_usual` (src) lists the sources of its usual activity, and
 * `scope_blanket` (rule) the rules that fire on a usual source. `scope_sources` (src) lists the
 * sources that are not usual and either carry a sign other than a blanket rule or were first
 * used after the first such sign. Needs `scope_anomalous`.
 */
export async function classifySources(connection: DuckDBConnection): Promise<void> {
  // `detections` is the probe side, so no hash table contains every detection's uid.
  await withWrittenJoinOrder(connection, () =>
    connection.run(`CREATE OR REPLACE TEMP TABLE scope_signals AS
      SELECT s.uid, s.src, s.time, d.rule_id AS rule,
        starts_with(d.rule_id, '${INTEL_RULE_PREFIX}') AS intel
      FROM detections d JOIN scope_seed s ON s.uid = d.event_uid JOIN rules r ON r.id = d.rule_id
      WHERE r.level IN ${SUSPICIOUS_LEVELS}
      UNION ALL
      SELECT s.uid, s.src, s.time, NULL, false FROM scope_seed s JOIN scope_anomalous a USING (uid)`),
  );
  // A source on a threat-intel list is never usual, however long it was used. One that a
  // new-source anomaly lists is usual only when it was in use a day before its own first sign.
  // The first sign on any other source is the earliest sign overall, or the second earliest
  // source's for the source that has the earliest, so no source is compared with every sign.
  await connection.run(`CREATE OR REPLACE TEMP TABLE scope_usual AS
    WITH used AS (
      SELECT src, min(time) AS first_ok FROM scope_seed WHERE status = 'success' GROUP BY src
    ),
    signed AS (SELECT src, min(time) AS first_sign, bool_or(intel) AS intel,
        bool_or(rule IS NULL) AS new_source
      FROM scope_signals GROUP BY src),
    ranked AS (
      SELECT src, first_sign, row_number() OVER (ORDER BY first_sign, src) AS rank FROM signed
    ),
    earliest AS (
      SELECT max(first_sign) FILTER (rank = 1) AS first, any_value(src) FILTER (rank = 1) AS src,
        max(first_sign) FILTER (rank = 2) AS second
      FROM ranked
    )
    SELECT u.src FROM used u CROSS JOIN earliest f
      LEFT JOIN signed o ON o.src IS NOT DISTINCT FROM u.src
    WHERE NOT coalesce(o.intel, false)
      AND (u.first_ok <= o.first_sign - ${STANDING}
        OR (NOT coalesce(o.new_source, false) AND u.first_ok <= CASE
          WHEN u.src IS NOT DISTINCT FROM f.src THEN f.second ELSE f.first END - ${STANDING}))`);
  await connection.run(`CREATE OR REPLACE TEMP TABLE scope_blanket AS
    SELECT DISTINCT s.rule FROM scope_signals s
    WHERE s.rule IS NOT NULL AND NOT s.intel
      AND EXISTS (SELECT 1 FROM scope_usual u WHERE u.src IS NOT DISTINCT FROM s.src)`);
  // A source that is not usual and that the indicator first used successfully once the
  // intrusion had begun is the intruder's too, with or without signs, such as an instance the
  // intruder started.
  await connection.run(`CREATE OR REPLACE TEMP TABLE scope_sources AS
    WITH signed AS (
      SELECT DISTINCT s.src, s.time FROM scope_signals s
      WHERE (s.rule IS NULL OR s.rule NOT IN (SELECT rule FROM scope_blanket))
        AND NOT EXISTS (SELECT 1 FROM scope_usual u WHERE u.src IS NOT DISTINCT FROM s.src)
    ),
    later AS (
      SELECT src FROM scope_seed WHERE status = 'success' GROUP BY src
      HAVING min(time) >= (SELECT min(time) FROM signed)
    )
    SELECT src FROM signed
    UNION
    SELECT l.src FROM later l
    WHERE NOT EXISTS (SELECT 1 FROM scope_usual u WHERE u.src IS NOT DISTINCT FROM l.src)`);
}
