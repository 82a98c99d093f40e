import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withWrittenJoinOrder } from '../detect/sigma-sql/join-order.ts';
import type { CaseDb } from '../store/case-db.ts';
import { DETECTION_KEYS, withDetectionKeys } from '../store/detection-keys.ts';
import { uuidV5 } from './uuid.ts';

/** The namespace STIX 2.1 (section 2.9) fixes for the deterministic ids of cyber observables. */
const SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/** Maximum indicators in one bundle; the most frequent values are kept. */
export const INDICATOR_LIMIT = 10_000;

/** Kind of value an indicator matches, each with its own STIX observable type. */
export type IndicatorKind = 'ip' | 'access_key' | 'user_agent' | 'domain';

/** One value seen in detected events, with the rules that matched them. */
export interface IndicatorValue {
  kind: IndicatorKind;
  value: string;
  events: number;
  first_seen: string;
  last_seen: string;
  titles: string[];
  tactics: string[];
  techniques: string[];
}

type StixObject = Record<string, unknown> & { type: string; id: string };

// The columns each kind of value is read from, among events that a rule detected.
const COLUMNS: readonly (readonly [IndicatorKind, string])[] = [
  ['ip', 'src_ip'],
  ['access_key', 'actor_access_key'],
  ['user_agent', 'user_agent'],
  ['domain', 'src_domain'],
  ['domain', 'dst_domain'],
];

/** Lists the values of detected events that become indicators, most frequent first. */
export async function indicatorValues(connection: DuckDBConnection): Promise<IndicatorValue[]> {
  // Detections are joined with their events by row id (see detection-keys.ts), with `events`
  // as the probe side, so that no hash table contains uids.
  const unions = COLUMNS.map(
    ([kind, column]) =>
      `SELECT '${kind}' AS kind, e.${column} AS value, e.rowid AS event_row, e.time, d.rule_id
       FROM events e JOIN detected d ON e.rowid = d.event_row
       WHERE e.${column} IS NOT NULL AND e.${column} <> ''`,
  ).join('\nUNION ALL\n');
  const reader = await withDetectionKeys(connection, { events: true }, () =>
    withWrittenJoinOrder(connection, () =>
      connection.runAndReadAll(
        `WITH detected AS (
           SELECT rule_id, event_row FROM ${DETECTION_KEYS} WHERE event_row IS NOT NULL
         ),
         v AS (${unions})
         SELECT kind, value, count(DISTINCT event_row) AS events, min(time) AS first_seen,
           max(time) AS last_seen, list_sort(list_distinct(list(r.title))) AS titles,
           list_sort(list_distinct(flatten(list(coalesce(r.tactics, []::VARCHAR[]))))) AS tactics,
           list_sort(list_distinct(flatten(list(coalesce(r.techniques, []::VARCHAR[])))))
             AS techniques
         FROM v LEFT JOIN rules r ON r.id = v.rule_id
         GROUP BY kind, value ORDER BY events DESC, kind, value LIMIT ${INDICATOR_LIMIT}`,
      ),
    ),
  );
  const list = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((item) => item !== null).map(String) : [];

  return reader.getRowObjectsJS().map((row) => ({
    kind: row.kind as IndicatorKind,
    value: String(row.value),
    events: Number(row.events),
    first_seen: new Date(String(row.first_seen)).toISOString(),
    last_seen: new Date(String(row.last_seen)).toISOString(),
    titles: list(row.titles),
    tactics: list(row.tactics),
    techniques: list(row.techniques),
  }));
}

/** Quotes a value as a STIX pattern string literal: backslash and quote are escaped. */
export function patternString(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

// CloudTrail puts a service name such as `ec2.amazonaws.com` where an address would be.
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

// A cyber observable and the pattern that matches it, or null for a value no pattern fits.
function observable(
  kind: IndicatorKind,
  value: string,
): { sco: StixObject | null; pattern: string } | null {
  const sco = (type: string, properties: Record<string, string>): StixObject => {
    // The id hashes the type's id-contributing properties as canonical JSON (sorted keys).
    const keys = Object.keys(properties).sort();
    const canonical = JSON.stringify(Object.fromEntries(keys.map((k) => [k, properties[k]])));
    return {
      type,
      spec_version: '2.1',
      id: `${type}--${uuidV5(canonical, SCO_NAMESPACE)}`,
      ...properties,
    };
  };
  switch (kind) {
    case 'ip': {
      const family = isIP(value);
      if (family === 0) return DOMAIN.test(value) ? observable('domain', value) : null;
      const type = family === 4 ? 'ipv4-addr' : 'ipv6-addr';
      return { sco: sco(type, { value }), pattern: `[${type}:value = ${patternString(value)}]` };
    }
    case 'domain':
      if (!DOMAIN.test(value)) return null;
      return {
        sco: sco('domain-name', { value }),
        pattern: `[domain-name:value = ${patternString(value)}]`,
      };
    case 'access_key':
      return {
        sco: sco('user-account', { account_type: 'aws-access-key', user_id: value }),
        pattern: `[user-account:user_id = ${patternString(value)}]`,
      };
    case 'user_agent':
      // STIX has no observable for a user agent alone; the pattern names the request header.
      return {
        sco: null,
        pattern: `[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = ${patternString(value)}]`,
      };
  }
}

const KIND_NAMES: Record<IndicatorKind, string> = {
  ip: 'Source address',
  access_key: 'Access key',
  user_agent: 'User agent',
  domain: 'Domain',
};

/**
 * Builds a STIX 2.1 bundle with an identity for the case and one indicator per value of a
 * detected event (source address, access key, user agent, domain). Each indicator is valid
 * from the value's first detection. Its rules' ATT&CK tactics become kill chain phases and
 * their techniques external references. Values that STIX has an observable type for also get
 * that cyber observable.
 */
export function stixBundle(
  values: readonly IndicatorValue[],
  caseTitle: string,
  now = new Date(),
): StixObject {
  const created = now.toISOString();
  const identity: StixObject = {
    type: 'identity',
    spec_version: '2.1',
    id: `identity--${randomUUID()}`,
    created,
    modified: created,
    name: `cloudcase case ${caseTitle}`,
    identity_class: 'system',
  };
  const objects: StixObject[] = [identity];
  const observables = new Map<string, StixObject>();
  for (const item of values) {
    const found = observable(item.kind, item.value);
    if (found === null) continue;
    if (found.sco !== null) observables.set(found.sco.id, found.sco);
    objects.push({
      type: 'indicator',
      spec_version: '2.1',
      id: `indicator--${randomUUID()}`,
      created_by_ref: identity.id,
      created,
      modified: created,
      name: `${KIND_NAMES[item.kind]} ${item.value}`,
      description:
        `Seen in ${item.events} detected event${item.events === 1 ? '' : 's'} ` +
        `from ${item.first_seen} to ${item.last_seen}: ${item.titles.join('; ')}`,
      indicator_types: ['anomalous-activity'],
      pattern: found.pattern,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: item.first_seen,
      ...(item.tactics.length === 0
        ? {}
        : {
            kill_chain_phases: item.tactics.map((phase_name) => ({
              kill_chain_name: 'mitre-attack',
              phase_name,
            })),
          }),
      ...(item.techniques.length === 0
        ? {}
        : {
            external_references: item.techniques.map((external_id) => ({
              source_name: 'mitre-attack',
              external_id,
            })),
          }),
    });
  }
  objects.push(...observables.values());

  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects };
}

/** Writes the case's indicators as a STIX 2.1 bundle to `file`; returns the indicator count. */
export async function exportStix(db: CaseDb, caseTitle: string, file: string): Promise<number> {
  const connection = await db.connect();
  try {
    const bundle = stixBundle(await indicatorValues(connection), caseTitle);
    await writeFile(file, `${JSON.stringify(bundle, null, 2)}\n`, { flag: 'wx' });
    return (bundle.objects as StixObject[]).filter((o) => o.type === 'indicator').length;
  } finally {
    connection.closeSync();
  }
}
