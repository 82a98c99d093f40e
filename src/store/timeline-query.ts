import { DuckDBListValue, type DuckDBValue } from '@duckdb/node-api';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { EVENT_SELECT, storedText, timestampValue } from './event-row.ts';
import type { EventCondition } from './time-slices.ts';
import type { TimelineFilter } from './types.ts';

/** A SELECT with its bound parameters. */
export interface BoundQuery {
  sql: string;
  params: Record<string, DuckDBValue>;
}

// The columns of EVENT_SELECT with an empty record for `raw`, for formats that do not print it.
// Built from the column list: a pattern that expected `raw` last kept reading it once
// `metadata_uid` followed it, and then every record stored in parts was read whole.
const SELECT_WITHOUT_RAW = EVENT_SELECT.split(', ')
  .map((name) => (name === 'raw' ? `'{}' AS raw` : name))
  .join(', ');

/** Time order, with the evidence location breaking ties so the order is stable across runs. */
export const TIMELINE_ORDER = 'time, evidence_sha256, evidence_member NULLS FIRST, evidence_record';

// src_ip with the `::ffff:` prefix of an IPv4-mapped IPv6 address removed, as dual-stack
// servers log IPv4 clients that way.
const IPV4_TEXT = `CASE WHEN lower(src_ip) LIKE '::ffff:%.%' THEN src_ip[8:] ELSE src_ip END`;

// The dotted-quad value of src_ip, NULL when it is not IPv4; TRY_CAST keeps a non-numeric
// part from raising.
const IPV4_NUMBER = `CASE WHEN regexp_full_match(${IPV4_TEXT}, '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}')
  THEN TRY_CAST(split_part(${IPV4_TEXT}, '.', 1) AS BIGINT) * 16777216
     + TRY_CAST(split_part(${IPV4_TEXT}, '.', 2) AS BIGINT) * 65536
     + TRY_CAST(split_part(${IPV4_TEXT}, '.', 3) AS BIGINT) * 256
     + TRY_CAST(split_part(${IPV4_TEXT}, '.', 4) AS BIGINT) END`;

/**
 * Builds the timeline SELECT for a filter; every filter value is a bound parameter. `slice`, an
 * SQL condition from `sliceCondition`, narrows it to one time slice. With `rawKey`, the rows
 * carry `raw_key` too, which finds the parts of a raw record stored in parts.
 */
export function timelineQuery(filter: TimelineFilter, slice?: string, rawKey = false): BoundQuery {
  const condition = timelineCondition(filter);
  const where = [condition.where, slice].filter((part) => part !== undefined && part !== '');
  const params = { ...condition.params };

  let columns = filter.withoutRaw ? SELECT_WITHOUT_RAW : EVENT_SELECT;
  if (rawKey && filter.withoutRaw !== true) columns += ', raw_key';
  let sql = `SELECT ${columns} FROM events`;
  if (where.length > 0) sql += ` WHERE ${where.map((part) => `(${part})`).join(' AND ')}`;
  sql += ` ORDER BY ${TIMELINE_ORDER}`;
  if (filter.limit !== undefined) {
    sql += ' LIMIT $limit';
    params.limit = filterLimit(filter.limit);
  }

  return { sql, params };
}

/** Builds the WHERE condition of a timeline filter, without the limit; `''` matches every event. */
export function timelineCondition(filter: TimelineFilter): EventCondition {
  const where: string[] = [];
  const params: Record<string, DuckDBValue> = {};

  if (filter.since !== undefined) {
    where.push('time >= $since');
    params.since = filterTime(filter.since, 'since');
  }
  if (filter.until !== undefined) {
    where.push('time <= $until');
    params.until = filterTime(filter.until, 'until');
  }
  if (filter.actor !== undefined) {
    // A whole actor longer than a column keeps is found by the form the column holds. The uids
    // are joined as a set: list_contains compares each row with every uid of the list, which
    // took 8 s over a million rows with 10,000 uids.
    const pastCut = filter.actorUids?.length ? ' OR uid IN (SELECT unnest($actor_uids))' : '';
    where.push(
      `(contains(lower(actor_uid), lower($actor)) OR contains(lower(actor_name), lower($actor))
        OR lower(actor_uid) = lower($stored_actor) OR lower(actor_name) = lower($stored_actor)${pastCut})`,
    );
    params.actor = filter.actor;
    params.stored_actor = storedText(filter.actor);
    if (pastCut !== '') params.actor_uids = new DuckDBListValue([...(filter.actorUids ?? [])]);
  }
  if (filter.ip !== undefined) addIpFilter(filter.ip, where, params);
  if (filter.operation !== undefined) {
    where.push('lower(api_operation) = lower($operation)');
    params.operation = storedText(filter.operation);
  }
  if (filter.source !== undefined) {
    where.push('source = $source');
    params.source = filter.source;
  }

  return { where: where.join(' AND '), params };
}

function filterTime(value: string, name: string) {
  if (Number.isNaN(Date.parse(value))) {
    throw new CloudcaseError(
      'invalid_filter',
      `timeline filter ${name} is not an ISO 8601 time, such as 2024-05-01T00:00:00Z`,
      EXIT.usage,
    );
  }

  return timestampValue(value);
}

function filterLimit(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CloudcaseError(
      'invalid_filter',
      'timeline filter limit must be a whole number of events, 0 or more',
      EXIT.usage,
    );
  }

  return value;
}

function addIpFilter(ip: string, where: string[], params: Record<string, DuckDBValue>): void {
  if (!ip.includes('/')) {
    // When an AWS service made the call, CloudTrail's sourceIPAddress names that service
    // (`ec2.amazonaws.com`). Such a source is stored as src.domain, so it is matched there too.
    where.push(`(src_ip = $ip OR ${IPV4_TEXT} = $ipv4 OR lower(src_domain) = lower($ip))`);
    params.ip = storedText(ip);
    params.ipv4 = /^::ffff:\d/i.test(ip) ? ip.slice(7) : ip;
    return;
  }

  const [low, high] = ipv4CidrRange(ip);
  where.push(`(${IPV4_NUMBER}) BETWEEN $ip_low AND $ip_high`);
  params.ip_low = low;
  params.ip_high = high;
}

/** Returns the first and last address of an IPv4 CIDR block as numbers. */
export function ipv4CidrRange(cidr: string): [number, number] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const bits = Number(match?.[5]);
  if (match === null || octets.some((octet) => octet > 255) || bits > 32) {
    // NOTE: IPv6 blocks are rejected here rather than matched; an exact IPv6 address works.
    throw new CloudcaseError(
      'invalid_filter',
      'timeline filter ip must be an address or an IPv4 CIDR block, such as 203.0.113.0/24',
      EXIT.usage,
    );
  }

  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - bits);
  const low = Math.floor(address / size) * size;

  return [low, low + size - 1];
}
