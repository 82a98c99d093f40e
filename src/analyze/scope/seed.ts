/**
 * The first step of a scope: the indicator's own events, and the split between the sources it
 * was misused from and the sources of its usual activity.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { storedText } from '../../store/event-row.ts';
import { SOURCE_SQL } from '../entities/sql.ts';
import { seedCutResources } from './cut-resources.ts';
import { classifySources, createAnomalous, noBlanketRules } from './signals.ts';
import type { Indicator, ScopeSplit, SourceUse } from './types.ts';
import { iso, rows } from './values.ts';

/** Builds the WHERE clause that selects the events of an indicator, with its parameters. */
export function indicatorPredicate(indicator: Indicator): {
  sql: string;
  params: Record<string, string>;
} {
  const v = indicator.value;
  // Columns hold a value longer than they keep in a shortened form, which a whole value is
  // compared as.
  const stored = storedText(v);
  switch (indicator.kind) {
    case 'key':
      return { sql: 'actor_access_key = $v', params: { v: stored } };
    case 'ip':
      return { sql: '(src_ip = $v OR dst_ip = $v)', params: { v } };
    case 'resource':
      return {
        sql: `(contains(resources, $v) AND list_contains(list_transform(
          json_transform(resources, '[{"uid":"VARCHAR"}]'), r -> r.uid), $v))`,
        params: { v },
      };
    case 'identity':
      return {
        sql: identitySql(),
        params: { v: stored.toLowerCase(), session: sessionPattern(v) },
      };
  }
}

// An identity matches its ARN, uid, name or session. A role ARN or name also selects the
// role's sessions, and an email the identities linked to it.
function identitySql(): string {
  return `(lower(actor_uid) = $v OR lower(actor_name) = $v OR lower(actor_session) = $v
    OR lower(actor_uid) LIKE $session ESCAPE '\\'
    OR actor_uid IN (SELECT value FROM entities WHERE type = 'identity' AND person = $v))`;
}

function sessionPattern(value: string): string {
  const lower = value.toLowerCase().replace(/[\\%_]/g, '\\$&');
  const role = /^arn:(aws[a-z-]*):iam::(\d+):role\/(?:.*\/)?([^/]+)$/.exec(lower);
  if (role) return `arn:${role[1]}:sts::${role[2]}:assumed-role/${role[3]}/%`;

  return `arn:aws%:sts::%:assumed-role/${lower}/%`;
}

/**
 * Creates the temporary table `scope_seed` (uid, time, status, src) of the indicator's events
 * and `scope_events` (uid) of those that enter the scope, and returns how they were chosen.
 */
export async function seedScope(
  connection: DuckDBConnection,
  indicator: Indicator,
  all: boolean,
): Promise<ScopeSplit> {
  const predicate = indicatorPredicate(indicator);
  // NOTE: the scope's tables name events by uid, and its joins hash them. `eventUid` keeps
  // uids short now, but in a case written before it did, a scope of 30,000 events whose uids
  // contained an archive member name of 5,000 characters ran out of the case's 256 MB.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE scope_seed AS
     SELECT uid, time, status, ${SOURCE_SQL} AS src FROM events WHERE ${predicate.sql}`,
    predicate.params,
  );
  if (indicator.kind === 'resource') {
    await seedCutResources(connection, indicator.value, predicate);
  }
  await createAnomalous(connection);
  const splits = indicator.kind === 'key' || indicator.kind === 'identity';
  // Usual sources and blanket rules are found with --all too: the verdict follows the signs.
  if (splits) await classifySources(connection);
  else await noBlanketRules(connection);
  const suspicious = all || !splits ? [] : await suspiciousSources(connection);
  if (suspicious.length === 0) {
    await connection.run('CREATE OR REPLACE TEMP TABLE scope_events AS SELECT uid FROM scope_seed');
    return { mode: 'all', suspicious_sources: [], excluded: [] };
  }

  await connection.run(
    `CREATE OR REPLACE TEMP TABLE scope_events AS
     SELECT uid FROM scope_seed s
     WHERE EXISTS (SELECT 1 FROM scope_sources p WHERE p.src IS NOT DISTINCT FROM s.src)`,
  );
  await connection.run(ATTACKER_FLOWS);
  const uses = await sourceUses(connection);
  const picked = new Set(suspicious);

  return {
    mode: 'suspicious',
    suspicious_sources: uses.filter((use) => picked.has(use.source)),
    excluded: uses.filter((use) => !picked.has(use.source)),
  };
}

// Flow records carry no identity, so the intruder's network traffic, such as data sent out to
// its own address, joins the scope through the suspicious addresses.
const ATTACKER_FLOWS = `INSERT INTO scope_events
SELECT e.uid FROM events e
WHERE e.category = 'network' AND e.actor_uid IS NULL
  AND (e.src_ip IN (SELECT src FROM scope_sources) OR e.dst_ip IN (SELECT src FROM scope_sources))
  AND e.uid NOT IN (SELECT uid FROM scope_events)`;

async function suspiciousSources(connection: DuckDBConnection): Promise<(string | null)[]> {
  return (await rows(connection, 'SELECT src FROM scope_sources')).map((row) =>
    row.src === null ? null : String(row.src),
  );
}

async function sourceUses(connection: DuckDBConnection): Promise<SourceUse[]> {
  const found = await rows(
    connection,
    `SELECT src, count(*) AS n, epoch_ms(min(time)) AS f, epoch_ms(max(time)) AS l
     FROM scope_seed GROUP BY src ORDER BY f, src`,
  );
  return found.map((row) => ({
    source: row.src === null ? null : String(row.src),
    events: Number(row.n),
    first_seen: iso(row.f),
    last_seen: iso(row.l),
  }));
}
