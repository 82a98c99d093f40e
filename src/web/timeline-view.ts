/// <reference lib="dom" />
/**
 * Timeline: the query bar, the histogram and the virtualized table, with the open event beside
 * them. The query, time window and open event live in the URL fragment, so a reload or a link
 * from another view lands on the same selection.
 */
import { getJson } from './api.ts';
import { ruleQuery } from './detections-view.ts';
import { button, formatTime, h, replace } from './dom.ts';
import { errorText } from './errors.ts';
import { renderDetail } from './event-detail.ts';
import { createEventTable, type TableSelection } from './event-table.ts';
import { createHistogram } from './histogram-chart.ts';
import { createQueryBar } from './query-bar.ts';
import { go, type Place } from './router.ts';
import type { Histogram } from './types.ts';

function selectionOf(place: Place): TableSelection & { uid: string } {
  return {
    q: place.params.get('q') ?? '',
    since: place.params.get('since') ?? '',
    until: place.params.get('until') ?? '',
    uid: place.params.get('uid') ?? '',
  };
}

export async function showTimeline(root: HTMLElement, place: Place) {
  let state = selectionOf(place);
  const move = (next: Partial<typeof state>) => go('timeline', { ...state, ...next });

  const bar = await createQueryBar((q) => move({ q, uid: '' }));
  const window_ = h('p', { class: 'window', 'data-testid': 'time-window' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'timeline-error' });
  const chartBox = h('div', { class: 'histogram', 'data-testid': 'histogram' });
  const panel = h('aside', { class: 'detail', 'data-testid': 'detail' });
  const table = createEventTable((uid) => move({ uid }));
  replace(
    root,
    bar.element,
    window_,
    error,
    chartBox,
    h('div', { class: 'timeline-body' }, table.element, panel),
  );
  const chart = createHistogram(chartBox, (since, until) => move({ since, until, uid: '' }));

  const openDetail = (uid: string) => {
    table.select(uid);
    if (uid === '') {
      replace(panel);
      return;
    }
    renderDetail(panel, uid, {
      around: (time, minutes) => {
        const at = Date.parse(time);
        move({
          q: '',
          since: new Date(at - minutes * 60_000).toISOString(),
          until: new Date(at + minutes * 60_000).toISOString(),
        });
      },
      rule: (ruleId) => move({ q: ruleQuery(ruleId), since: '', until: '', uid: '' }),
      changed: () => table.refresh(),
    }).catch((err: unknown) => replace(panel, h('p', { class: 'error' }, errorText(err))));
  };

  const load = async () => {
    bar.setQuery(state.q);
    replace(
      window_,
      state.since || state.until
        ? `${formatTime(state.since) || '…'} – ${formatTime(state.until) || '…'} UTC `
        : 'all times ',
      (state.since || state.until) &&
        button('Reset zoom', () => move({ since: '', until: '' }), { 'data-testid': 'reset-zoom' }),
    );
    replace(error);
    try {
      const [histogram] = await Promise.all([
        getJson<Histogram>('/api/histogram', {
          q: state.q,
          since: state.since,
          until: state.until,
        }),
        table.load(state),
      ]);
      chart.update(histogram);
    } catch (err) {
      chart.update({ bucket_ms: 1000, buckets: [] });
      replace(error, errorText(err));
    }
  };

  const onPlace = (event: Event) => {
    const next = selectionOf((event as CustomEvent<Place>).detail);
    const reload = next.q !== state.q || next.since !== state.since || next.until !== state.until;
    const reopen = next.uid !== state.uid;
    state = next;
    if (reload) void loadAndOpen();
    else if (reopen) openDetail(state.uid);
  };
  // After a new selection, such as the events around the open one, the open event is scrolled
  // into view so it stays the anchor.
  const loadAndOpen = async () => {
    await load();
    openDetail(state.uid);
    if (state.uid !== '') await table.reveal(state.uid);
  };
  root.addEventListener('place', onPlace);
  await loadAndOpen();

  return () => {
    root.removeEventListener('place', onPlace);
    chart.destroy();
    table.destroy();
  };
}
