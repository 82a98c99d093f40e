/**
 * Matches indicators against every event of a case. DuckDB lists each field's distinct values,
 * Node.js looks each one up in an `IndicatorIndex`, and DuckDB then returns the events holding
 * a value that matched, by a join on a temporary table of those values. The work grows with the
 * events and their distinct values, not with the product of events and indicators.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';
import { checkedStream } from '../store/checked-stream.ts';
import { IndicatorIndex } from './indicator-index.ts';
import type { Indicator, IndicatorType } from './types.ts';

/** An event field that indicators are matched against. */
interface MatchField {
  /** Name shown in the detection, such as `src.ip`. */
  name: string;
  /** Indicator types this field's values are looked up as. */
  types: IndicatorType[];
  /** A query returning `uid`, `time` and the value `v` of each event (one row per value). */
  rows: string;
}

// URLs and hashes are taken from the raw record, where the formats keep them. A LIKE test
// skips the regular expression on records that cannot contain a URL.
const FIELDS: readonly MatchField[] = [
  { name: 'src.ip', types: ['ip', 'cidr'], rows: column('src_ip') },
  { name: 'dst.ip', types: ['ip', 'cidr'], rows: column('dst_ip') },
  { name: 'user_agent', types: ['user_agent'], rows: column('user_agent') },
  { name: 'actor.access_key', types: ['access_key'], rows: column('actor_access_key') },
  { name: 'src.domain', types: ['domain'], rows: column('src_domain') },
  { name: 'dst.domain', types: ['domain'], rows: column('dst_domain') },
  {
    name: 'url',
    types: ['url', 'domain'],
    rows: `SELECT uid, time, unnest(regexp_extract_all(raw, 'https?://[^\\s"\\\\<>]+')) AS v
      FROM events WHERE raw LIKE '%://%'`,
  },
  {
    name: 'hash',
    types: ['hash'],
    rows: `SELECT uid, time, unnest(regexp_extract_all(lower(raw), '\\b[0-9a-f]{32,128}\\b')) AS v
      FROM events`,
  },
];

function column(name: string): string {
  return `SELECT uid, time, ${name} AS v FROM events WHERE ${name} IS NOT NULL`;
}

/** Most event uids kept per indicator hit; `matches` counts them all. */
export const MAX_UIDS_PER_HIT = 1000;

/** The events one indicator matched. */
export interface IndicatorHit {
  indicator: Indicator;
  fields: string[];
  /** Event uids in time order, at most `MAX_UIDS_PER_HIT`. */
  uids: string[];
  /** Matched field values; an event whose two fields match counts twice. */
  matches: number;
  first: string;
  last: string;
}

/** Matches `indicators` against the events of the case open on `connection`. */
export async function matchIndicators(
  connection: DuckDBConnection,
  indicators: readonly Indicator[],
): Promise<IndicatorHit[]> {
  return (await matchIndicatorEvents(connection, indicators)).hits;
}

/** The hits of a match and the number of distinct events that any indicator matched. */
export interface IntelMatch {
  hits: IndicatorHit[];
  events: number;
}

/**
 * Matches `indicators` like `matchIndicators` and counts the distinct events matched, which
 * the hits cannot give: one event can hold several indicators, and each hit keeps at most
 * `MAX_UIDS_PER_HIT` uids.
 */
export async function matchIndicatorEvents(
  connection: DuckDBConnection,
  indicators: readonly Indicator[],
): Promise<IntelMatch> {
  const index = new IndicatorIndex(indicators);
  const hits = new Map<Indicator, MutableHit>();
  await connection.run('CREATE OR REPLACE TEMP TABLE intel_matched_events (uid VARCHAR)');
  const match = async (): Promise<IntelMatch> => {
    for (const field of FIELDS) {
      if (!index.has(...field.types)) continue;
      const matched = await distinctMatches(connection, field, index);
      if (matched.size === 0) continue;
      await collectEvents(connection, field, matched, hits);
    }
    const counted = await connection.runAndReadAll(
      'SELECT count(DISTINCT uid) AS n FROM temp.intel_matched_events',
    );
    const events = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
    const sorted = [...hits.values()]
      .map(({ fields, ...hit }) => ({ ...hit, fields: [...fields].sort() }))
      .sort((a, b) => a.first.localeCompare(b.first) || a.indicator.line - b.indicator.line);

    return { hits: sorted, events };
  };
  return withCleanup(match, () => connection.run('DROP TABLE IF EXISTS temp.intel_matched_events'));
}

interface MutableHit extends Omit<IndicatorHit, 'fields'> {
  fields: Set<string>;
}

async function distinctMatches(
  connection: DuckDBConnection,
  field: MatchField,
  index: IndicatorIndex,
): Promise<Map<string, Indicator[]>> {
  const matched = new Map<string, Indicator[]>();
  // Stored first, so the values are computed once: counting the streamed rows (see
  // `checkedStream`) would otherwise read every event's field again.
  await connection.run(`CREATE OR REPLACE TEMP TABLE intel_distinct AS
    SELECT DISTINCT v FROM (${field.rows}) WHERE v IS NOT NULL AND v <> ''`);
  const read = async () => {
    const values = checkedStream(
      connection,
      'SELECT v FROM temp.intel_distinct',
      undefined,
      (result) => result.yieldRows(),
      `distinct values of ${field.name}`,
    );
    for await (const rows of values) {
      for (const [value] of rows) {
        const text = String(value);
        const found = lookup(field, text, index);
        if (found.length > 0) matched.set(text, found);
      }
    }
  };
  await withCleanup(read, () => connection.run('DROP TABLE IF EXISTS temp.intel_distinct'));
  return matched;
}

function lookup(field: MatchField, value: string, index: IndicatorIndex): Indicator[] {
  if (field.types.includes('ip')) return index.ip(value);
  if (field.name === 'url') {
    const found = [...index.exact('url', urlKey(value))];
    const host = hostOf(value);
    if (host) found.push(...index.domain(host));
    return found;
  }
  if (field.types.includes('domain')) return index.domain(value);

  return index.exact(field.types[0] ?? 'hash', value);
}

function urlKey(value: string): string {
  try {
    return new URL(value).href;
  } catch {
    return value;
  }
}

function hostOf(value: string): string | null {
  try {
    return new URL(value).hostname || null;
  } catch {
    return null;
  }
}

async function collectEvents(
  connection: DuckDBConnection,
  field: MatchField,
  matched: Map<string, Indicator[]>,
  hits: Map<Indicator, MutableHit>,
): Promise<void> {
  await connection.run('CREATE OR REPLACE TEMP TABLE intel_values (v VARCHAR)');
  const collect = async () => {
    const appender = await connection.createAppender('intel_values', 'main', 'temp');
    for (const value of matched.keys()) {
      appender.appendVarchar(value);
      appender.endRow();
    }
    appender.closeSync();

    // The matching events are stored once, then counted and read from the table.
    await connection.run(`CREATE OR REPLACE TEMP TABLE intel_field_matches AS
      SELECT f.uid, f.time, f.v FROM (${field.rows}) f JOIN temp.intel_values m ON f.v = m.v`);
    await connection.run(
      'INSERT INTO temp.intel_matched_events SELECT DISTINCT uid FROM temp.intel_field_matches',
    );
    const events = checkedStream(
      connection,
      'SELECT uid, epoch_ms(time) AS t, v FROM temp.intel_field_matches ORDER BY time, uid',
      undefined,
      (result) => result.yieldRows(),
      `events that matched indicators in ${field.name}`,
      'SELECT 1 FROM temp.intel_field_matches',
    );
    for await (const rows of events) {
      for (const [uid, t, value] of rows) {
        const time = new Date(Number(t)).toISOString();
        for (const indicator of matched.get(String(value)) ?? []) {
          addHit(hits, indicator, field.name, String(uid), time);
        }
      }
    }
  };
  await withCleanup(collect, async () => {
    await connection.run('DROP TABLE IF EXISTS temp.intel_values');
    await connection.run('DROP TABLE IF EXISTS temp.intel_field_matches');
  });
}

function addHit(
  hits: Map<Indicator, MutableHit>,
  indicator: Indicator,
  field: string,
  uid: string,
  time: string,
): void {
  let hit = hits.get(indicator);
  if (hit === undefined) {
    hit = { indicator, fields: new Set(), uids: [], matches: 0, first: time, last: time };
    hits.set(indicator, hit);
  }
  hit.fields.add(field);
  hit.matches++;
  if (hit.uids.length < MAX_UIDS_PER_HIT && !hit.uids.includes(uid)) hit.uids.push(uid);
  if (time < hit.first) hit.first = time;
  if (time > hit.last) hit.last = time;
}
