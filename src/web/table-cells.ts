/// <reference lib="dom" />
/** The columns of the timeline table and the cells of one row. */
import { formatTime, h } from './dom.ts';
import type { TimelineRow } from './types.ts';

/** Column headings of the timeline table. */
export const COLUMNS = [
  '',
  'time (UTC)',
  'source',
  'actor',
  'operation',
  'source IP',
  'status',
  'message',
  'tags',
];

/** Builds the cells of one event's row, in the order of `COLUMNS`. */
export function cells(row: TimelineRow): HTMLElement[] {
  return [
    h('span', { class: 'star', title: row.starred ? 'starred' : '' }, row.starred ? '★' : ''),
    h('span', {}, formatTime(row.time)),
    h('span', {}, row.source),
    h('span', {}, row.actor_name ?? row.actor_uid ?? ''),
    h('span', {}, row.api_operation ?? row.activity ?? ''),
    h('span', {}, row.src_ip ?? ''),
    h('span', {}, row.status ?? ''),
    h('span', {}, row.message ?? ''),
    h('span', { class: 'tags' }, ...row.tags.map((tag) => h('span', { class: 'tag' }, tag))),
  ];
}
