/** Storage of anomalies in the case's `anomalies` table. */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Level } from '../detect/types.ts';
import { inTransaction } from '../store/transaction.ts';
import type { Anomaly, AnomalyKind } from './types.ts';

const ROW_SHAPE = JSON.stringify([
  {
    anomaly_id: 'VARCHAR',
    kind: 'VARCHAR',
    severity: 'VARCHAR',
    identity: 'VARCHAR',
    first_seen: 'TIMESTAMP',
    last_seen: 'TIMESTAMP',
    value: 'VARCHAR',
    usual: 'JSON',
    baseline_from: 'TIMESTAMP',
    baseline_to: 'TIMESTAMP',
    baseline_events: 'BIGINT',
    details: 'JSON',
    explanation: 'VARCHAR',
    event_uids: 'VARCHAR[]',
    event_count: 'BIGINT',
  },
]);

/**
 * Replaces the stored anomalies with `anomalies`. Baselines are computed over the whole case,
 * so a new run's result supersedes the old one.
 */
export async function replaceAnomalies(
  connection: DuckDBConnection,
  anomalies: readonly Anomaly[],
): Promise<void> {
  const rows = anomalies.map((a) => ({
    anomaly_id: a.id,
    kind: a.kind,
    severity: a.severity,
    identity: a.identity,
    first_seen: a.first_seen,
    last_seen: a.last_seen,
    value: a.value,
    usual: a.usual,
    baseline_from: a.baseline.from,
    baseline_to: a.baseline.to,
    baseline_events: a.baseline.events,
    details: a.details,
    explanation: a.explanation,
    event_uids: a.event_uids,
    event_count: a.event_count,
  }));
  await inTransaction(connection, async () => {
    await connection.run('DELETE FROM anomalies');
    if (rows.length > 0) {
      await connection.run(
        `INSERT INTO anomalies SELECT unnest(from_json($rows, '${ROW_SHAPE}'), recursive := true)`,
        { rows: JSON.stringify(rows) },
      );
    }
  });
}

/** Reads stored anomalies, most severe first, then by time; at most `limit`. */
export async function readAnomalies(
  connection: DuckDBConnection,
  limit = 1000,
): Promise<Anomaly[]> {
  const reader = await connection.runAndReadAll(
    `SELECT anomaly_id, kind, severity, identity,
       epoch_ms(first_seen) AS first_ms, epoch_ms(last_seen) AS last_ms, value,
       usual::VARCHAR AS usual, epoch_ms(baseline_from) AS from_ms,
       epoch_ms(baseline_to) AS to_ms, baseline_events, details::VARCHAR AS details,
       explanation, event_uids, event_count
     FROM anomalies
     ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
       WHEN 'low' THEN 3 ELSE 4 END, first_seen, kind, identity, value
     LIMIT $limit`,
    { limit },
  );

  return reader.getRowObjectsJS().map((row) => ({
    id: String(row.anomaly_id),
    kind: String(row.kind) as AnomalyKind,
    severity: String(row.severity) as Level,
    identity: String(row.identity),
    first_seen: iso(row.first_ms),
    last_seen: iso(row.last_ms),
    value: String(row.value),
    usual: JSON.parse(String(row.usual)) as Anomaly['usual'],
    baseline: { from: iso(row.from_ms), to: iso(row.to_ms), events: Number(row.baseline_events) },
    details: JSON.parse(String(row.details)) as Anomaly['details'],
    explanation: String(row.explanation),
    event_uids: Array.isArray(row.event_uids) ? row.event_uids.map(String) : [],
    event_count: Number(row.event_count),
  }));
}

/** Counts stored anomalies per kind. */
export async function countAnomalies(
  connection: DuckDBConnection,
): Promise<Partial<Record<AnomalyKind, number>>> {
  const reader = await connection.runAndReadAll(
    'SELECT kind, count(*) AS n FROM anomalies GROUP BY kind ORDER BY kind',
  );
  return Object.fromEntries(reader.getRowsJS().map((row) => [String(row[0]), Number(row[1])]));
}

function iso(ms: unknown): string {
  return new Date(Number(ms)).toISOString();
}
