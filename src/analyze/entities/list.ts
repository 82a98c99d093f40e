/** Reading the `entities` table back, for `cloudcase entities` and the report. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { iso, rows, text } from '../scope/values.ts';

/** Entity types that `entities --type` takes. */
export const ENTITY_TYPES = ['identity', 'access_key', 'ip', 'user_agent', 'resource'] as const;

/** Filter of `listEntities`. */
export interface EntityFilter {
  type?: (typeof ENTITY_TYPES)[number];
  /** Rows at most. Default 10,000. */
  limit?: number;
}

/** One entity with its first and last use and where it appears. */
export interface EntityRow {
  type: string;
  value: string;
  kind: string;
  /** For an identity, its usual name; for an access key, the principal that used it most. */
  name: string | null;
  /** Identities that share this identity's email, from any source. */
  linked: string[];
  first_seen: string;
  last_seen: string;
  events: number;
  sources: string[];
  /**
   * For an access key, the call that created it, when the case contains it. `key` is the key that
   * signed that call, so following it walks a role chain back to its first credential.
   */
  origin: {
    operation: string;
    event_uid: string;
    actor: string | null;
    key: string | null;
    time: string;
    /**
     * The first credential of the chain: the principal and key that signed the earliest
     * creating call the case contains, `hops` calls back. For a key one call made from a
     * long-term key, that is the origin's own actor and key, one hop back.
     */
    root: { actor: string | null; key: string | null; hops: number };
  } | null;
}

/** Creating calls followed back at most, so a loop in broken evidence ends. */
const MAX_HOPS = 16;

// Each step moves from a key to the key that signed the call creating it, while the case
// contains that call. The deepest step of a key is the first credential of its chain.
const SQL = `WITH RECURSIVE walk AS (
  SELECT access_key, origin_actor AS actor, origin_key AS key, 1 AS hops
  FROM credentials WHERE origin_uid IS NOT NULL
  UNION ALL
  SELECT w.access_key, c.origin_actor, c.origin_key, w.hops + 1
  FROM walk w JOIN credentials c ON c.access_key = w.key
  WHERE c.origin_uid IS NOT NULL AND w.hops < ${MAX_HOPS}
),
roots AS (
  SELECT access_key, arg_max(actor, hops) AS actor, arg_max(key, hops) AS key,
    max(hops) AS hops
  FROM walk GROUP BY access_key
)
SELECT e.type, e.value, e.kind, e.name,
  epoch_ms(e.first_seen) AS f, epoch_ms(e.last_seen) AS l, e.events, e.sources,
  (SELECT list(o.value ORDER BY o.value) FROM entities o
    WHERE o.type = 'identity' AND o.person = e.person AND o.value <> e.value) AS linked,
  c.origin_operation, c.origin_uid, c.origin_actor, c.origin_key, epoch_ms(c.origin_time) AS ot,
  r.actor AS root_actor, r.key AS root_key, r.hops AS root_hops
FROM entities e
LEFT JOIN credentials c ON e.type = 'access_key' AND c.access_key = e.value
LEFT JOIN roots r ON e.type = 'access_key' AND r.access_key = e.value
WHERE $type IS NULL OR e.type = $type
ORDER BY e.type, e.first_seen, e.value
LIMIT $limit`;

/** Lists entities by type, then first use. */
export async function listEntities(
  connection: DuckDBConnection,
  filter: EntityFilter = {},
): Promise<EntityRow[]> {
  const found = await rows(connection, SQL, {
    type: filter.type ?? null,
    limit: filter.limit ?? 10_000,
  });
  return found.map((row) => ({
    type: String(row.type),
    value: String(row.value),
    kind: String(row.kind),
    name: text(row.name),
    linked: Array.isArray(row.linked) ? row.linked.map(String) : [],
    first_seen: iso(row.f),
    last_seen: iso(row.l),
    events: Number(row.events),
    sources: Array.isArray(row.sources) ? row.sources.map(String) : [],
    origin:
      row.origin_uid === null || row.origin_uid === undefined
        ? null
        : {
            operation: String(row.origin_operation),
            event_uid: String(row.origin_uid),
            actor: text(row.origin_actor),
            key: text(row.origin_key),
            time: iso(row.ot),
            root: {
              actor: text(row.root_actor),
              key: text(row.root_key),
              hops: Number(row.root_hops ?? 1),
            },
          },
  }));
}
