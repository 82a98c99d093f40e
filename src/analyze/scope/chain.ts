/**
 * The attack chain: the detections on a scope's events and the credentials it created, in time
 * order on the ATT&CK cloud tactics, and a short narrative written from them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withWrittenJoinOrder } from '../../detect/sigma-sql/join-order.ts';
import { INTEL_RULE_PREFIX } from '../../intel/intel-store.ts';
import { TIME_THEN_UID } from '../sql-values.ts';
import type { AttackChain, ChainStep, CreatedGrant } from './types.ts';
import { iso, rows, text } from './values.ts';

/** Steps kept at most; the narrative is written from these. */
const MAX_STEPS = 100;

/** ATT&CK Enterprise tactics in kill-chain order, as Sigma tags spell them. */
export const TACTIC_ORDER = [
  'reconnaissance',
  'resource-development',
  'initial-access',
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'defense-impairment',
  'credential-access',
  'discovery',
  'lateral-movement',
  'collection',
  'command-and-control',
  'exfiltration',
  'impact',
];

/**
 * Tactic of an intel match. An indicator names who or what was involved, not which step of an
 * attack the event was, so the step is labelled as a match rather than placed on a tactic.
 */
export const INDICATOR_MATCH = 'indicator-match';
/** Tactic of a detection whose rule has no ATT&CK tactic tag. */
export const UNTAGGED = 'untagged';

// One step per rule and actor, and for an intel match per indicator too; a rule's first tactic
// places it on the chain.
const DETECTED = `WITH found AS (
  SELECT r.id, r.title, e.actor_uid AS actor, e.uid, e.time, coalesce(e.src_ip, e.src_domain) AS src,
    CASE WHEN r.tactics[1] IS NOT NULL THEN r.tactics[1]
      WHEN starts_with(r.id, '${INTEL_RULE_PREFIX}') THEN '${INDICATOR_MATCH}'
      ELSE '${UNTAGGED}' END AS tactic,
    CASE WHEN starts_with(r.id, '${INTEL_RULE_PREFIX}')
      THEN json_extract_string(h.group_by, '$.indicator') END AS indicator
  FROM (SELECT d.* FROM detections d SEMI JOIN scope_events s ON s.uid = d.event_uid) d
    JOIN rules r ON r.id = d.rule_id
    JOIN (SELECT e.uid, e.time, e.actor_uid, e.src_ip, e.src_domain
      FROM events e SEMI JOIN scope_events s ON s.uid = e.uid) e
      ON e.uid = d.event_uid
    LEFT JOIN correlation_hits h ON h.hit_id = d.hit_id
)
SELECT CASE WHEN indicator IS NULL THEN title ELSE title || ', indicator ' || indicator END
    AS title,
  tactic, epoch_ms(min(time)) AS f, epoch_ms(max(time)) AS l, count(DISTINCT uid) AS n, actor,
  arg_min(src, ${TIME_THEN_UID}) AS src, arg_min(uid, ${TIME_THEN_UID}) AS uid
FROM found
GROUP BY id, title, tactic, indicator, actor
ORDER BY f, title LIMIT ${MAX_STEPS}`;

/** Builds the chain of the events in `scope_events` and the grants the scope followed. */
export async function attackChain(
  connection: DuckDBConnection,
  created: readonly CreatedGrant[],
): Promise<AttackChain> {
  // `detections` and `events` are probe sides, so no hash table contains more uids than the
  // scope's events.
  const detected = await withWrittenJoinOrder(connection, () => rows(connection, DETECTED));
  const steps: ChainStep[] = detected.map((row) => ({
    time: iso(row.f),
    last_time: iso(row.l),
    tactic: String(row.tactic),
    title: String(row.title),
    kind: 'detection',
    events: Number(row.n),
    actor: text(row.actor),
    source: text(row.src),
    event_uid: String(row.uid),
  }));
  for (const grant of created) {
    steps.push({
      time: grant.created_at,
      last_time: grant.created_at,
      tactic: 'persistence',
      title: `${grant.operation} created ${grant.kind === 'key' ? 'access key' : 'principal'} ${grant.value}`,
      kind: 'key_event',
      events: 1,
      actor: null,
      source: null,
      event_uid: grant.event_uid,
    });
  }
  steps.sort((a, b) => a.time.localeCompare(b.time) || rank(a.tactic) - rank(b.tactic));
  const kept = steps.slice(0, MAX_STEPS);

  return { steps: kept, narrative: narrate(kept) };
}

function rank(tactic: string): number {
  const index = TACTIC_ORDER.indexOf(tactic);
  return index < 0 ? TACTIC_ORDER.length : index;
}

/** Writes one sentence per run of steps on the same tactic. */
export function narrate(steps: readonly ChainStep[]): string[] {
  const sentences: string[] = [];
  let run: ChainStep[] = [];
  const flush = () => {
    const first = run[0];
    if (first === undefined) return;
    const what = run.map(describe).join('; ');
    sentences.push(
      `${first.time.slice(0, 16).replace('T', ' ')} UTC, ${label(first.tactic)}: ${what}.`,
    );
    run = [];
  };
  for (const step of steps) {
    if (run.length > 0 && run[0]?.tactic !== step.tactic) flush();
    run.push(step);
  }
  flush();

  return sentences;
}

function describe(step: ChainStep): string {
  if (step.kind === 'key_event') return step.title;
  const who = step.actor === null ? '' : ` by ${shortActor(step.actor)}`;
  const where = step.source === null ? '' : ` from ${step.source}`;
  const count = step.events === 1 ? '1 event' : `${step.events} events`;

  return `${step.title} (${count}${who}${where})`;
}

function label(tactic: string): string {
  return tactic.replace(/-/g, ' ');
}

/** Shortens an ARN to its last segment (`root` for a root ARN); other uids stay whole. */
function shortActor(actor: string): string {
  const cut = actor.startsWith('arn:')
    ? Math.max(actor.lastIndexOf('/'), actor.lastIndexOf(':'))
    : actor.lastIndexOf('/');
  return cut >= 0 && cut < actor.length - 1 ? actor.slice(cut + 1) : actor;
}
