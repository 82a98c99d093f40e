/// <reference lib="dom" />
/** Marks: every tag, star and comment on events, and the saved searches, with who and when. */
import { getJson, postJson } from './api.ts';
import { button, formatTime, h, on, replace } from './dom.ts';
import { errorText } from './errors.ts';
import { go, type Place } from './router.ts';
import type { MarkedEvent, SavedSearch } from './types.ts';

/** Creates the button that deletes a saved search and then shows the view again. */
function removeButton(root: HTMLElement, place: Place, name: string): HTMLElement {
  const remove = button(
    'remove',
    () => {
      postJson('/api/searches/remove', { name })
        .then(() => showMarks(root, place))
        .catch((error: unknown) => replace(remove, errorText(error)));
    },
    { 'data-testid': 'remove-search' },
  );
  // The row opens the search in the timeline; the button must not.
  on(remove, 'click', (event) => event.stopPropagation());
  return remove;
}

export async function showMarks(root: HTMLElement, place: Place) {
  const [marks, searches] = await Promise.all([
    getJson<MarkedEvent[]>('/api/marks'),
    getJson<SavedSearch[]>('/api/searches'),
  ]);
  replace(
    root,
    h('h1', {}, 'Marks'),
    h('h2', {}, 'Marked events'),
    h(
      'table',
      { 'data-testid': 'marked-events' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['kind', 'mark', 'event time', 'event', 'by', 'when'].map((name) => h('th', {}, name)),
        ),
      ),
      h(
        'tbody',
        {},
        ...marks.map((mark) =>
          on(
            h(
              'tr',
              { class: 'clickable' },
              h('td', {}, mark.kind),
              h('td', {}, mark.value),
              h('td', {}, formatTime(mark.event_time)),
              h('td', {}, mark.message ?? mark.event_uid),
              h('td', {}, mark.actor),
              h('td', {}, formatTime(mark.time)),
            ),
            'click',
            () => go('timeline', { q: `uid:"${mark.event_uid}"`, uid: mark.event_uid }),
          ),
        ),
      ),
    ),
    marks.length === 0 &&
      h(
        'p',
        { class: 'hint' },
        'No marks yet: open an event in the timeline to tag, star or comment it.',
      ),
    h('h2', {}, 'Saved searches'),
    h(
      'table',
      { 'data-testid': 'saved-search-list' },
      h(
        'thead',
        {},
        h('tr', {}, ...['name', 'query', 'by', 'when', ''].map((name) => h('th', {}, name))),
      ),
      h(
        'tbody',
        {},
        ...searches.map((search) =>
          on(
            h(
              'tr',
              { class: 'clickable' },
              h('td', {}, search.name),
              h('td', {}, search.query),
              h('td', {}, search.actor),
              h('td', {}, formatTime(search.time)),
              h('td', {}, removeButton(root, place, search.name)),
            ),
            'click',
            () => go('timeline', { q: search.query }),
          ),
        ),
      ),
    ),
    searches.length === 0 &&
      h(
        'p',
        { class: 'hint' },
        "No saved searches yet: name a query in the timeline's query bar and save it.",
      ),
  );
  return undefined;
}
