/**
 * `scopeOf`: everything an indicator did and touched, transitively through the keys and
 * principals its activity created, with data read, changes to roll back, dwell time, the attack
 * vector and the attack chain. Every step is set-based SQL over the case's `events` table in
 * temporary tables of the connection, so cost grows with the case, not with per-event JS.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { attackChain } from './chain.ts';
import { expandScope } from './expand.ts';
import {
  scopeChanges,
  scopeDataRead,
  scopeEventList,
  scopeFlows,
  scopeTotals,
  scopeTouched,
} from './gather.ts';
import { seedScope } from './seed.ts';
import type { Indicator, ScopeResult } from './types.ts';
import { attackVectors } from './vector.ts';

/** Options of `scopeOf`. */
export interface ScopeOptions {
  /** Keeps every event of a key or identity, its usual activity included. Default false. */
  all?: boolean;
  /** Events listed at most in `event_list`. Default 10,000. */
  eventLimit?: number;
  /** Rows listed at most per table (identities, data read, changes, ...). Default 1,000. */
  rowLimit?: number;
}

/**
 * Scopes `indicator` on `connection`, which must not run other statements meanwhile. The
 * connection's temporary tables `scope_*` hold the scope afterwards.
 */
export async function scopeOf(
  connection: DuckDBConnection,
  indicator: Indicator,
  options: ScopeOptions = {},
): Promise<ScopeResult> {
  const eventLimit = options.eventLimit ?? 10_000;
  const rowLimit = options.rowLimit ?? 1000;
  const split = await seedScope(connection, indicator, options.all ?? false);
  // A resource was touched, not used: the actors that touched it are not the attacker's.
  const created =
    indicator.kind === 'resource' ? await noGrants(connection) : await expandScope(connection);
  const totals = await scopeTotals(connection);
  const dwell =
    totals.first === null || totals.last === null
      ? null
      : (Date.parse(totals.last) - Date.parse(totals.first)) / 1000;
  const identities = await scopeTouched(connection, 'actor_uid', rowLimit);
  const accessKeys = await scopeTouched(connection, 'actor_access_key', rowLimit);
  const ips = await scopeTouched(connection, 'ip', rowLimit);
  const dataRead = await scopeDataRead(connection, rowLimit);
  const flows = await scopeFlows(connection, rowLimit);
  const changes = await scopeChanges(connection, rowLimit);

  return {
    indicator,
    split,
    events: totals.events,
    first_activity: totals.first,
    last_activity: totals.last,
    dwell_seconds: dwell,
    by_source: totals.by_source,
    identities,
    access_keys: accessKeys,
    ips,
    created,
    data_read: dataRead.reads,
    data_read_totals: dataRead.totals,
    flows: flows.flows,
    flow_totals: flows.totals,
    changes: changes.changes,
    change_count: changes.total,
    vector: indicator.kind === 'resource' ? [] : await attackVectors(connection),
    chain: await attackChain(connection, created),
    event_list: await scopeEventList(connection, eventLimit),
    event_limit: eventLimit,
  };
}

async function noGrants(connection: DuckDBConnection): Promise<[]> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE scope_grants (
    kind VARCHAR, value VARCHAR, since TIMESTAMP, operation VARCHAR, event_uid VARCHAR)`);
  return [];
}
