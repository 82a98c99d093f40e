/// <reference lib="dom" />
/** The workbench app: a navigation bar and one view at a time, chosen by the URL fragment. */
import { showDetections } from './detections-view.ts';
import { h, replace } from './dom.ts';
import { showEntities } from './entities-view.ts';
import { errorText } from './errors.ts';
import { showMarks } from './marks-view.ts';
import { showOverview } from './overview-view.ts';
import { showReports } from './reports-view.ts';
import { currentPlace, type Place, VIEWS, type ViewName } from './router.ts';
import { showTimeline } from './timeline-view.ts';

type Show = (root: HTMLElement, place: Place) => Promise<(() => void) | undefined>;

const SHOW: Record<ViewName, Show> = {
  overview: showOverview,
  timeline: showTimeline,
  detections: showDetections,
  entities: showEntities,
  marks: showMarks,
  reports: showReports,
};

let cleanup: (() => void) | undefined;
let shown: ViewName | null = null;
// The element the shown view draws into. Each view gets a new one, so a view that finishes
// loading after the user moved on draws into a detached element instead of over the next view.
let viewElement: HTMLElement | null = null;

function navigation(active: ViewName): HTMLElement {
  return h(
    'nav',
    { 'aria-label': 'views' },
    h('span', { class: 'brand' }, 'cloudcase'),
    ...VIEWS.map((view) =>
      h(
        'a',
        {
          href: `#${view.name}`,
          class: view.name === active ? 'active' : '',
          'data-testid': `nav-${view.name}`,
        },
        view.label,
      ),
    ),
  );
}

async function render(): Promise<void> {
  const place = currentPlace();
  const header = document.getElementById('nav') as HTMLElement;
  const root = document.getElementById('view') as HTMLElement;
  replace(header, navigation(place.view));

  // The timeline keeps its own state on a fragment change within it, so that zooming and
  // opening events do not rebuild the table.
  if (shown === 'timeline' && place.view === 'timeline' && viewElement !== null) {
    viewElement.dispatchEvent(new CustomEvent('place', { detail: place }));
    return;
  }
  cleanup?.();
  cleanup = undefined;
  shown = place.view;
  const element = h('div', { class: 'view' }, h('p', { class: 'loading' }, 'Loading…'));
  element.dataset.view = place.view;
  viewElement = element;
  replace(root, element);
  try {
    const stop = await SHOW[place.view](element, place);
    if (viewElement === element) cleanup = stop;
    else stop?.();
  } catch (error) {
    if (viewElement === element) {
      replace(element, h('p', { class: 'error', role: 'alert' }, errorText(error)));
    }
  }
}

window.addEventListener('hashchange', () => void render());
void render();
