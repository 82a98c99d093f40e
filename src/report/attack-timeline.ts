import type { DetectedEvent } from '../store/types.ts';
import { shownValue } from './shown-value.ts';
import type { TimelineHighlight } from './types.ts';

/** Detections of one rule by one actor closer together than this become one entry. */
const MERGE_GAP_MS = 15 * 60 * 1000;

/**
 * Condenses detected events, in time order, into the attack timeline: one entry per
 * correlation hit, and one per run of single-event matches of the same rule, actor, address
 * and operation with gaps under fifteen minutes. A burst of a hundred downloads reads as one
 * line with its count, so the steps of an intrusion stay visible side by side.
 */
export function condenseAttackTimeline(
  detected: readonly DetectedEvent[],
  limit: number,
): TimelineHighlight[] {
  const entries: TimelineHighlight[] = [];
  const open = new Map<string, TimelineHighlight>();

  for (const item of detected) {
    const key = entryKey(item);
    const entry = open.get(key);
    const time = Date.parse(item.event.time);
    if (entry && (item.hit_id !== null || time - Date.parse(entry.last_time) < MERGE_GAP_MS)) {
      entry.count += 1;
      entry.last_time = item.event.time;
      continue;
    }
    if (entries.length >= limit) continue;

    const created = toHighlight(item);
    entries.push(created);
    open.set(key, created);
  }

  return entries;
}

function entryKey(item: DetectedEvent): string {
  if (item.hit_id !== null) return `hit\u0000${item.hit_id}`;

  const { event } = item;
  const actor = event.actor.uid ?? event.actor.name ?? '';
  return [item.rule_id, actor, event.src.ip ?? '', event.api.operation ?? ''].join('\u0000');
}

function toHighlight(detected: DetectedEvent): TimelineHighlight {
  const { event } = detected;

  return {
    time: event.time,
    last_time: event.time,
    count: 1,
    tactic: detected.tactics[0] ?? null,
    tactics: detected.tactics,
    rule_id: detected.rule_id,
    title: detected.title,
    severity: detected.severity,
    actor: event.actor.uid ?? event.actor.name,
    src_ip: event.src.ip,
    operation: event.api.operation,
    source: event.source,
    event_uid: event.uid,
    message: event.message,
  };
}

/** Column headings of the attack timeline table in report.md and report.html. */
export const ATTACK_TIMELINE_COLUMNS = [
  'time',
  'last',
  'events',
  'tactic',
  'severity',
  'rule',
  'actor',
  'source IP',
  'operation',
  'first event',
];

/** One attack timeline entry as table cells, in `ATTACK_TIMELINE_COLUMNS` order. */
export function attackTimelineCells(entry: TimelineHighlight): (string | number | null)[] {
  return [
    entry.time,
    entry.count > 1 ? entry.last_time : '',
    entry.count,
    entry.tactic,
    entry.severity,
    entry.title,
    shownValue(entry.actor),
    shownValue(entry.src_ip),
    shownValue(entry.operation),
    entry.event_uid,
  ];
}
