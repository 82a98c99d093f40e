/// <reference lib="dom" />
/**
 * The virtualized timeline table. Only the rows in view (and a few around them) exist in the
 * DOM, and their events are fetched from the server a page at a time as they scroll into view,
 * so the table stays fast over millions of events. Past about 285,000 rows the spacer is
 * shorter than the list and scroll positions are scaled (see `scaled-scroll.ts`), so every row
 * stays reachable by scrollbar, wheel, keys and "Go to".
 */
import { observeElementRect, Virtualizer } from '@tanstack/virtual-core';
import { getJson } from './api.ts';
import { h, on, plural, replace } from './dom.ts';
import { errorText } from './errors.ts';
import { ScaledScroll } from './scaled-scroll.ts';
import { COLUMNS, cells } from './table-cells.ts';
import { createGoToForm, keyStep, parseGoTo } from './table-navigation.ts';
import type { TimelinePage, TimelineRow } from './types.ts';

const ROW_HEIGHT = 28;
const PAGE_SIZE = 200;
// Pages kept in memory; the ones farthest from view are dropped first.
const MAX_PAGES = 60;
// Wait this long after scrolling stops before fetching, so a scrollbar drag across a million
// rows does not request every page it passes.
const FETCH_DELAY_MS = 60;

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
  /** Scrolls the event `uid` to the middle of the view, when the selection contains it. */
  reveal(uid: string): Promise<void>;
  /** Fetches the loaded pages again, after a mark changed. */
  refresh(): void;
  destroy(): void;
}

export function createEventTable(onOpen: (uid: string) => void): EventTable {
  const header = h('div', { class: 'row header' }, ...COLUMNS.map((name) => h('span', {}, name)));
  const body = h('div', { class: 'rows' });
  const scroller = h(
    'div',
    { class: 'scroller', role: 'grid', 'aria-label': 'events', 'data-testid': 'timeline-rows' },
    body,
  );
  scroller.tabIndex = 0;
  const status = h('p', { class: 'status', 'data-testid': 'timeline-status' });
  const goToForm = createGoToForm((text) => void goTo(text));
  const goToError = h('p', { class: 'error', role: 'alert', 'data-testid': 'go-to-error' });
  const element = h(
    'div',
    { class: 'event-table' },
    h('div', { class: 'table-bar' }, status, goToForm),
    goToError,
    header,
    scroller,
  );
  let selection: TableSelection = { q: '', since: '', until: '' };
  let total = 0;
  let generation = 0;
  let selected = '';
  // The row the keys move, 0-based; -1 before any.
  let current = -1;
  let fetchTimer: ReturnType<typeof setTimeout> | undefined;
  const pages = new Map<number, TimelineRow[] | 'loading'>();
  const scroll = new ScaledScroll();
  let drawn: { row: HTMLElement; index: number }[] = [];
  let reportOffset: ((offset: number, isScrolling: boolean) => void) | undefined;

  // NOTE: the virtualizer keeps a start and size for every row, about 24 bytes a row: some
  // 240 MB of browser memory and 0.4 s per load for a selection of 10 million events.
  // The virtualizer works in virtual pixels: it is given the scaled offset, never the element's
  // own position, and it never scrolls the element itself.
  const virtualizer = new Virtualizer<HTMLDivElement, HTMLDivElement>({
    count: 0,
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    scrollToFn: () => undefined,
    observeElementRect,
    observeElementOffset: (_instance, report) => {
      reportOffset = report;
      report(scroll.offset, false);
    },
    onChange: () => render(),
  });
  const unmount = virtualizer._didMount();
  virtualizer._willUpdate();

  const resize = () => {
    scroll.resize(total * ROW_HEIGHT, scroller.clientHeight);
    body.style.height = `${scroll.spacerHeight}px`;
  };

  // Tells the virtualizer the offset and moves the drawn rows with it.
  const publish = () => {
    reportOffset?.(scroll.offset, false);
    place();
  };

  const moveTo = (offset: number) => {
    const position = scroll.moveTo(offset);
    scroller.scrollTop = position;
    publish();
  };

  on(scroller, 'scroll', () => {
    scroll.observe(scroller.scrollTop);
    publish();
  });
  const resizeObserver = new ResizeObserver(() => {
    resize();
    publish();
  });
  resizeObserver.observe(scroller);

  // With a scaled spacer a wheel turn would move many rows per pixel, so it moves the virtual
  // offset by its own distance instead.
  // NOTE: touch and scrollbar drags still move by the scaled distance: on 2 million events,
  // 7 virtual pixels for each pixel of the gesture.
  on(scroller, 'wheel', (event) => {
    const wheel = event as WheelEvent;
    if (!scroll.scaled || wheel.deltaY === 0) return;
    wheel.preventDefault();
    const unit =
      wheel.deltaMode === WheelEvent.DOM_DELTA_LINE
        ? ROW_HEIGHT
        : wheel.deltaMode === WheelEvent.DOM_DELTA_PAGE
          ? scroller.clientHeight
          : 1;
    moveTo(scroll.offset + wheel.deltaY * unit);
  });

  const rowsInView = () => Math.max(1, Math.floor(scroller.clientHeight / ROW_HEIGHT));

  /**
   * Makes a row the current one and scrolls it into view: at the nearest edge when it is out of
   * view, or at the top or middle of the view.
   */
  const focusRow = (index: number, align: 'nearest' | 'top' | 'middle' = 'nearest') => {
    if (total === 0) return;
    current = Math.min(Math.max(0, index), total - 1);
    const start = current * ROW_HEIGHT;
    const viewport = scroller.clientHeight;
    if (align === 'middle') moveTo(start - (viewport - ROW_HEIGHT) / 2);
    else if (align === 'top' || start < scroll.offset) moveTo(start);
    else if (start + ROW_HEIGHT > scroll.offset + viewport) moveTo(start + ROW_HEIGHT - viewport);
    render();
  };

  on(scroller, 'keydown', (event) => {
    const key = (event as KeyboardEvent).key;
    const step = keyStep(key, rowsInView(), total);
    if (step !== undefined) {
      event.preventDefault();
      // Without a current row, the keys start from the top row in view.
      let from = current;
      if (from < 0) from = Math.floor(scroll.offset / ROW_HEIGHT) - (step > 0 ? 1 : 0);
      focusRow(from + step);
    } else if (key === 'Enter' && current >= 0) {
      event.preventDefault();
      const uid = eventAt(current)?.uid;
      if (uid !== undefined) onOpen(uid);
    }
  });

  async function goTo(text: string): Promise<void> {
    const target = parseGoTo(text);
    replace(goToError);
    if (target === null) {
      const entered = text.trim().slice(0, 40);
      replace(
        goToError,
        `"${entered}" is no row number or time: enter one such as 42 or 2024-05-01T10:00`,
      );
      return;
    }
    if ('row' in target) {
      if (target.row < 1 || target.row > total) {
        replace(
          goToError,
          `no row ${target.row}: rows run from 1 to ${total.toLocaleString('en')}`,
        );
        return;
      }
      focusRow(target.row - 1, 'top');
      return;
    }
    try {
      const requested = generation;
      const { row } = await getJson<{ row: number }>('/api/timeline/position', {
        ...selection,
        time: target.time,
      });
      if (requested === generation) focusRow(row, 'top');
    } catch (error) {
      replace(goToError, errorText(error));
    }
  }

  function showEmpty(): void {
    total = 0;
    replace(status, 'no events: the query failed');
    status.dataset.total = '0';
    virtualizer.setOptions({ ...virtualizer.options, count: 0 });
    resize();
    moveTo(0);
    render();
  }

  function showStatus(note: string): void {
    replace(status, plural(total, 'event'), note === '' ? '' : ` · ${note}`);
  }

  function eventAt(index: number): TimelineRow | undefined {
    const page = pages.get(Math.floor(index / PAGE_SIZE));
    return Array.isArray(page) ? page[index % PAGE_SIZE] : undefined;
  }

  /** Fetches a page unless it is loaded or loading; `again` fetches a loaded page anew. */
  function fetchPage(page: number, again = false): void {
    if (pages.has(page) && !again) return;
    if (!pages.has(page)) pages.set(page, 'loading');
    const requested = generation;
    getJson<TimelinePage>('/api/timeline', {
      ...selection,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
    })
      .then((result) => {
        if (requested !== generation) return;
        pages.set(page, result.events);
        dropFarPages(page);
        render();
      })
      .catch(() => {
        if (requested === generation && pages.get(page) === 'loading') pages.delete(page);
      });
  }

  function dropFarPages(near: number): void {
    if (pages.size <= MAX_PAGES) return;
    const farthest = [...pages.keys()].sort((a, b) => Math.abs(b - near) - Math.abs(a - near));
    for (const page of farthest.slice(0, pages.size - MAX_PAGES)) pages.delete(page);
  }

  function fetchMissing(): void {
    fetchTimer = undefined;
    for (const item of virtualizer.getVirtualItems()) fetchPage(Math.floor(item.index / PAGE_SIZE));
  }

  function place(): void {
    const position = scroller.scrollTop;
    for (const { row, index } of drawn) {
      row.style.transform = `translateY(${scroll.place(index * ROW_HEIGHT, position)}px)`;
    }
  }

  function render(): void {
    const rows: { row: HTMLElement; index: number }[] = [];
    let missing = false;
    for (const item of virtualizer.getVirtualItems()) {
      const event = eventAt(item.index);
      if (event === undefined && !pages.has(Math.floor(item.index / PAGE_SIZE))) missing = true;
      const classes = ['row'];
      if (event === undefined) classes.push('pending');
      if (event !== undefined && event.uid === selected) classes.push('selected');
      if (item.index === current) classes.push('current');
      const row =
        event === undefined
          ? h('div', { class: classes.join(' ') }, h('span', {}, '…'))
          : on(
              h(
                'div',
                { class: classes.join(' '), 'data-uid': event.uid, role: 'row' },
                ...cells(event),
              ),
              'click',
              () => {
                current = item.index;
                onOpen(event.uid);
              },
            );
      row.dataset.row = String(item.index + 1);
      rows.push({ row, index: item.index });
    }
    drawn = rows;
    place();
    replace(body, ...rows.map(({ row }) => row));
    if (missing && fetchTimer === undefined) fetchTimer = setTimeout(fetchMissing, FETCH_DELAY_MS);
  }

  return {
    element,
    async load(next: TableSelection) {
      selection = next;
      generation += 1;
      pages.clear();
      current = -1;
      let first: TimelinePage;
      try {
        first = await getJson<TimelinePage>('/api/timeline', {
          ...selection,
          offset: 0,
          limit: PAGE_SIZE,
        });
      } catch (error) {
        // Rows of the previous selection would pass for this one's, so show none.
        showEmpty();
        throw error;
      }
      pages.set(0, first.events);
      total = first.total ?? 0;
      showStatus('');
      status.dataset.total = String(total);
      virtualizer.setOptions({ ...virtualizer.options, count: total });
      resize();
      moveTo(0);
      virtualizer._willUpdate();
      render();
      return total;
    },
    select(uid: string) {
      selected = uid;
      render();
    },
    async reveal(uid: string) {
      const requested = generation;
      try {
        const { row } = await getJson<{ row: number }>('/api/timeline/position', {
          ...selection,
          uid,
        });
        if (requested === generation) focusRow(row, 'middle');
      } catch {
        // The selection does not contain the event: the table stays where it is.
      }
    },
    refresh() {
      // The rows in view stay as they are until their pages arrive again, so a mark does not
      // blank the table. Pages out of view are dropped and fetched when they come into view.
      generation += 1;
      const inView = new Set(
        virtualizer.getVirtualItems().map((item) => Math.floor(item.index / PAGE_SIZE)),
      );
      for (const page of [...pages.keys()]) {
        if (!inView.has(page)) pages.delete(page);
      }
      for (const page of inView) fetchPage(page, true);
    },
    destroy() {
      clearTimeout(fetchTimer);
      resizeObserver.disconnect();
      unmount();
    },
  };
}
