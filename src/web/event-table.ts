/// <reference lib="dom" />
/**
 * The virtualized timeline table. Only the rows in view (and a few around them) exist in the
 * DOM, and their events are fetched from the server a page at a time as they scroll into view,
 * so the table stays fast over millions of events.
 */
import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
} from '@tanstack/virtual-core';
import { getJson } from './api.ts';
import { formatTime, h, on, replace } from './dom.ts';
import type { TimelinePage, TimelineRow } from './types.ts';

// NOTE: the table is one element of count × ROW_HEIGHT pixels, and Chromium caps an element's
// height near 33.5 million pixels. Past about 1.2 million events the last rows cannot be
// scrolled to, so narrow the selection with a query or the histogram first.
const ROW_HEIGHT = 28;
const PAGE_SIZE = 200;
const COLUMNS = [
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

/** The table's selection: a query and an optional time window. */
export interface TableSelection {
  q: string;
  since: string;
  until: string;
}

export interface EventTable {
  element: HTMLElement;
  /** Shows another selection from its first row; resolves with the number of events. */
  load(selection: TableSelection): Promise<number>;
  /** Marks a row as the open event. */
  select(uid: string): void;
  /** Fetches the loaded pages again, after a mark changed. */
  refresh(): void;
  destroy(): void;
}

function cells(row: TimelineRow): HTMLElement[] {
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

export function createEventTable(onOpen: (uid: string) => void): EventTable {
  const header = h('div', { class: 'row header' }, ...COLUMNS.map((name) => h('span', {}, name)));
  const body = h('div', { class: 'rows' });
  const scroller = h('div', { class: 'scroller', 'data-testid': 'timeline-rows' }, body);
  const status = h('p', { class: 'status', 'data-testid': 'timeline-status' });
  const element = h('div', { class: 'event-table' }, status, header, scroller);
  let selection: TableSelection = { q: '', since: '', until: '' };
  let generation = 0;
  let selected = '';
  const pages = new Map<number, TimelineRow[] | 'loading'>();

  const virtualizer = new Virtualizer<HTMLDivElement, HTMLDivElement>({
    count: 0,
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    onChange: () => render(),
  });
  const unmount = virtualizer._didMount();

  const fetchPage = (page: number) => {
    if (pages.has(page)) return;
    pages.set(page, 'loading');
    const asked = generation;
    getJson<TimelinePage>('/api/timeline', {
      ...selection,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
    })
      .then((result) => {
        if (asked !== generation) return;
        pages.set(page, result.events);
        render();
      })
      .catch(() => pages.delete(page));
  };

  function render(): void {
    body.style.height = `${virtualizer.getTotalSize()}px`;
    const rows: HTMLElement[] = [];
    for (const item of virtualizer.getVirtualItems()) {
      const page = pages.get(Math.floor(item.index / PAGE_SIZE));
      if (page === undefined) fetchPage(Math.floor(item.index / PAGE_SIZE));
      const event = Array.isArray(page) ? page[item.index % PAGE_SIZE] : undefined;
      const row =
        event === undefined
          ? h('div', { class: 'row pending' }, h('span', {}, '…'))
          : on(
              h(
                'div',
                {
                  class: event.uid === selected ? 'row selected' : 'row',
                  'data-uid': event.uid,
                  role: 'row',
                },
                ...cells(event),
              ),
              'click',
              () => onOpen(event.uid),
            );
      row.style.transform = `translateY(${item.start}px)`;
      rows.push(row);
    }
    replace(body, ...rows);
  }

  return {
    element,
    async load(next: TableSelection) {
      selection = next;
      generation += 1;
      pages.clear();
      const first = await getJson<TimelinePage>('/api/timeline', {
        ...selection,
        offset: 0,
        limit: PAGE_SIZE,
      });
      pages.set(0, first.events);
      const total = first.total ?? 0;
      replace(status, `${total.toLocaleString('en')} events`);
      status.dataset.total = String(total);
      virtualizer.setOptions({ ...virtualizer.options, count: total });
      virtualizer.scrollToOffset(0);
      virtualizer._willUpdate();
      render();
      return total;
    },
    select(uid: string) {
      selected = uid;
      render();
    },
    refresh() {
      generation += 1;
      pages.clear();
      render();
    },
    destroy: unmount,
  };
}
