/**
 * The entity graph of the workbench: identities, access keys, source IPs and resources, linked
 * when events show them together. `EventEntityGraph` derives it from the events table; another
 * `EntityGraphSource` can read dedicated entity tables instead without changing the server.
 */
import type { CaseReader } from './case-reader.ts';

/** Kinds of graph node; each maps to the query field that opens its events in the timeline. */
export const NODE_FIELDS = {
  identity: 'actor.uid',
  access_key: 'actor.access_key',
  ip: 'src.ip',
  resource: 'resource',
} as const;

export type NodeKind = keyof typeof NODE_FIELDS;

/** A node: its kind, its value, and the events of its links in the graph, added up. */
export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
  events: number;
  /** The query that selects the node's events. */
  query: string;
}

/** An undirected link between two nodes seen in the same events. */
export interface GraphEdge {
  source: string;
  target: string;
  events: number;
}

/** Where the graph comes from. */
export interface EntityGraphSource {
  graph(reader: CaseReader, maxEdges: number): Promise<{ nodes: GraphNode[]; edges: GraphEdge[] }>;
}

// An identity with each key, IP and resource it used, counted in events, the largest links first.
const LINKS_SQL = `WITH pairs AS (
  SELECT actor_uid AS a, 'access_key' AS kind, actor_access_key AS b FROM events
    WHERE actor_uid IS NOT NULL AND actor_access_key IS NOT NULL
  UNION ALL SELECT actor_uid, 'ip', src_ip FROM events
    WHERE actor_uid IS NOT NULL AND src_ip IS NOT NULL
  UNION ALL SELECT actor_uid, 'resource', unnest(json_extract_string(resources, '$[*].uid'))
    FROM events WHERE actor_uid IS NOT NULL AND resources <> '[]'
)
SELECT a, kind, b, count(*) AS events FROM pairs WHERE b IS NOT NULL
GROUP BY a, kind, b ORDER BY events DESC, a, kind, b LIMIT $max`;

// A query value quoted so that any text selects itself exactly.
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

// Each credential linked to the key that signed the call which created it, such as the key
// behind an AssumeRole and the session key it returned, from the entity extraction's table.
const ORIGINS_SQL = `SELECT origin_key AS a, access_key AS b, events FROM credentials
  WHERE origin_key IS NOT NULL AND origin_key <> access_key
  ORDER BY events DESC, a, b LIMIT $max`;

async function hasCredentials(reader: CaseReader): Promise<boolean> {
  const rows = await reader.all(
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'credentials'",
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * The graph read from the events: each identity linked to what it used, and each key linked
 * to the credentials it created, where entity extraction recorded their origin.
 */
export const EventEntityGraph: EntityGraphSource = {
  async graph(reader, maxEdges) {
    const rows = await reader.all(LINKS_SQL, { max: maxEdges });
    const origins = (await hasCredentials(reader))
      ? await reader.all(ORIGINS_SQL, { max: maxEdges })
      : [];
    const nodes = new Map<string, GraphNode>();
    const edges: GraphEdge[] = [];
    const node = (kind: NodeKind, label: string, events: number): string => {
      const id = `${kind}:${label}`;
      const existing = nodes.get(id);
      if (existing === undefined) {
        nodes.set(id, { id, kind, label, events, query: `${NODE_FIELDS[kind]}:${quoted(label)}` });
      } else {
        existing.events += events;
      }
      return id;
    };

    for (const row of rows) {
      const events = Number(row.events);
      const source = node('identity', String(row.a), events);
      const target = node(row.kind as NodeKind, String(row.b), events);
      edges.push({ source, target, events });
    }
    for (const row of origins) {
      const events = Number(row.events);
      const source = node('access_key', String(row.a), events);
      const target = node('access_key', String(row.b), events);
      edges.push({ source, target, events });
    }
    return { nodes: [...nodes.values()], edges };
  },
};
