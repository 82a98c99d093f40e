import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { AUDIT_FILE, readAudit } from '../../case/audit-trail.ts';
import { withCleanup } from '../../core/errors.ts';
import { withWrittenJoinOrder } from '../../detect/sigma-sql/join-order.ts';
import { custodyPath, manifestPath } from '../../evidence/case-layout.ts';
import { readJsonLines } from '../../evidence/jsonl.ts';
import type { CaseDb } from '../../store/case-db.ts';
import { DETECTION_KEYS, withDetectionKeys } from '../../store/detection-keys.ts';
import { logCoverage } from '../coverage.ts';
import type {
  AffectedResource,
  AuditEntry,
  CisaInputs,
  TacticSummary,
  ValueCount,
} from './types.ts';

/** Maximum distinct values listed per field (addresses, accounts, resources, …). */
export const VALUE_LIMIT = 50;

/** Maximum audit trail entries read into the report. */
export const AUDIT_LIMIT = 5000;

/** ATT&CK tactics whose detected events read, move or destroy data. */
const DATA_TACTICS = ['collection', 'exfiltration', 'credential-access', 'impact'];

// Each detected event once, by its row id in `events`, with the union of the tactics of the
// rules that matched it. The tactics are gathered per event first, so the raw records are never
// grouped, and the detections are distinguished by narrow keys (see detection-keys.ts).
const DETECTED_TABLE = 'temp.cisa_detected';

// The detected events with their columns, for queries run through `detectedRows`.
const DETECTED = `detected AS (
  SELECT e.*, t.tactics FROM events e JOIN ${DETECTED_TABLE} t ON e.rowid = t.event_row
)`;

/** Creates DETECTED_TABLE from the detections of the case. */
async function createDetected(connection: DuckDBConnection): Promise<void> {
  await withDetectionKeys(connection, { events: true }, () =>
    connection.run(`CREATE OR REPLACE TEMP TABLE ${DETECTED_TABLE.slice(5)} AS
      SELECT k.event_row,
        list_distinct(flatten(list(coalesce(r.tactics, []::VARCHAR[])))) AS tactics
      FROM (SELECT DISTINCT rule_id, event_row FROM ${DETECTION_KEYS}
        WHERE event_row IS NOT NULL) k
      LEFT JOIN rules r ON r.id = k.rule_id
      GROUP BY k.event_row`),
  );
}

/**
 * Runs `sql`, which reads DETECTED, with `events` as the probe side of its join, so that no
 * hash table contains the columns of every detected event.
 */
function detectedRows(
  connection: DuckDBConnection,
  sql: string,
): Promise<Record<string, unknown>[]> {
  return withWrittenJoinOrder(connection, () => rows(connection, sql));
}

const time = (value: unknown): string | null =>
  value === null || value === undefined ? null : new Date(String(value)).toISOString();

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

async function valueCounts(connection: DuckDBConnection, column: string): Promise<ValueCount[]> {
  const found = await detectedRows(
    connection,
    `WITH ${DETECTED} SELECT ${column} AS value, count(*) AS events FROM detected
     WHERE ${column} IS NOT NULL AND ${column} <> '' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${VALUE_LIMIT}`,
  );
  return found.map((row) => ({ value: String(row.value), events: Number(row.events) }));
}

async function affectedResources(connection: DuckDBConnection): Promise<AffectedResource[]> {
  const tactics = DATA_TACTICS.map((t) => `'${t}'`).join(', ');
  const found = await detectedRows(
    connection,
    `WITH ${DETECTED}, touched AS (
       SELECT unnest(from_json(resources, '[{"uid":"VARCHAR","type":"VARCHAR"}]')) AS r,
         api_operation FROM detected WHERE list_has_any(tactics, [${tactics}])
     )
     SELECT r.uid AS uid, r.type AS type, list_sort(list_distinct(list(api_operation))) AS ops,
       count(*) AS events
     FROM touched WHERE r.uid IS NOT NULL GROUP BY 1, 2 ORDER BY 4 DESC, 1 LIMIT ${VALUE_LIMIT}`,
  );
  return found.map((row) => ({
    uid: String(row.uid),
    type: row.type === null ? null : String(row.type),
    operations: ((row.ops as unknown[] | null) ?? []).filter((op) => op !== null).map(String),
    events: Number(row.events),
  }));
}

async function tacticSummaries(connection: DuckDBConnection): Promise<TacticSummary[]> {
  const found = await rows(
    connection,
    `WITH per_rule AS (
       SELECT d.rule_id, min(d.time) AS first_seen FROM detections d GROUP BY 1
     ), tagged AS (
       SELECT unnest(r.tactics) AS tactic, r.techniques, r.title, p.first_seen
       FROM per_rule p JOIN rules r ON r.id = p.rule_id
     )
     SELECT tactic, list_sort(list_distinct(flatten(list(techniques)))) AS techniques,
       list_sort(list_distinct(list(title))) AS titles, min(first_seen) AS first_seen
     FROM tagged GROUP BY 1 ORDER BY 4, 1`,
  );
  return found.map((row) => ({
    tactic: String(row.tactic),
    techniques: ((row.techniques as unknown[] | null) ?? []).map(String),
    titles: ((row.titles as unknown[] | null) ?? []).map(String),
    first_seen: time(row.first_seen) ?? '',
  }));
}

/**
 * The case's audit trail: every command run on the case (`audit.jsonl`) and the work recorded
 * inside the database, such as the workbench's marks, in time order; the last `AUDIT_LIMIT`
 * entries and the total.
 */
async function auditTrail(
  connection: DuckDBConnection,
  caseDir: string,
): Promise<{ entries: AuditEntry[]; total: number }> {
  const commands = await readAudit(caseDir, AUDIT_LIMIT);
  const fromCommands = commands.entries.map((entry) => ({
    time: entry.started_at,
    actor: entry.actor,
    command: entry.command,
    details: JSON.stringify({
      options: entry.options,
      exit_code: entry.exit_code,
      results: entry.results,
      ...(entry.error === null ? {} : { error: entry.error }),
    }),
  }));
  const inDatabase = (
    await rows(
      connection,
      `SELECT time, actor, command, CAST(details AS VARCHAR) AS details FROM audit
       ORDER BY time DESC LIMIT ${AUDIT_LIMIT}`,
    )
  ).map((row) => ({
    time: time(row.time) ?? '',
    actor: String(row.actor),
    command: String(row.command),
    details: String(row.details),
  }));
  const databaseTotal = Number(
    (await rows(connection, 'SELECT count(*) AS n FROM audit'))[0]?.n ?? 0,
  );
  const entries = [...fromCommands, ...inDatabase]
    .sort((a, b) => a.time.localeCompare(b.time))
    .slice(-AUDIT_LIMIT);
  return { entries, total: (await countLines(path.join(caseDir, AUDIT_FILE))) + databaseTotal };
}

async function countLines(file: string): Promise<number> {
  let count = 0;
  for await (const line of readJsonLines(file)) if (line.ok) count += 1;
  return count;
}

/**
 * Gathers the case data of the CISA report. It counts detected events by account, region,
 * service, address, user agent and identity, and lists the resources touched in collection,
 * exfiltration, credential access and impact. It also reads the ATT&CK tactics, the audit
 * trail and the evidence and custody counts.
 */
export async function gatherCisaInputs(db: CaseDb): Promise<CisaInputs> {
  const counts = await db.counts();
  const findings = await db.findings();
  const connection = await db.connect();
  const gather = async (): Promise<CisaInputs> => {
    await createDetected(connection);
    const [range] = await rows(
      connection,
      'SELECT min(time) AS first, max(time) AS last FROM detections',
    );
    const severity: Record<string, number> = {};
    for (const finding of findings)
      severity[finding.severity] = (severity[finding.severity] ?? 0) + 1;
    const coverage = logCoverage(counts.categories);
    const trail = await auditTrail(connection, db.caseDir);

    return {
      findings: findings.length,
      severity,
      first_detected_event: time(range?.first),
      last_detected_event: time(range?.last),
      events_total: counts.events,
      accounts: await valueCounts(connection, 'cloud_account'),
      regions: await valueCounts(connection, 'cloud_region'),
      services: await valueCounts(connection, 'api_service'),
      source_ips: await valueCounts(connection, 'src_ip'),
      user_agents: await valueCounts(connection, 'user_agent'),
      actors: await valueCounts(connection, 'actor_uid'),
      access_keys: await valueCounts(connection, 'actor_access_key'),
      affected: await affectedResources(connection),
      tactics: await tacticSummaries(connection),
      audit: trail.entries,
      audit_total: trail.total,
      evidence_items: await countLines(manifestPath(db.caseDir)),
      custody_entries: await countLines(custodyPath(db.caseDir)),
      missing_categories: coverage.filter((row) => !row.present).map((row) => row.category),
      rejected_total: counts.rejected_total,
    };
  };
  const close = () =>
    connection.run(`DROP TABLE IF EXISTS ${DETECTED_TABLE}`).finally(() => connection.closeSync());
  return withCleanup(gather, close);
}
