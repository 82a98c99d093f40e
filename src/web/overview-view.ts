/// <reference lib="dom" />
/** Overview: the case, its log coverage, counts, time range, detections and reporting clock. */
import { getJson } from './api.ts';
import { formatTime, h, replace } from './dom.ts';
import type { Place } from './router.ts';
import type { Overview } from './types.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];

/** Formats the time left until `deadline` (or since it passed) in hours and minutes. */
export function clockText(deadline: string, now: number): string {
  const left = Date.parse(deadline) - now;
  const minutes = Math.floor(Math.abs(left) / 60_000);
  const text = `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
  return left >= 0 ? `${text} left` : `passed ${text} ago`;
}

function table(headers: string[], rows: (string | number)[][], testId: string): HTMLElement {
  return h(
    'table',
    { 'data-testid': testId },
    h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', {}, text)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))),
  );
}

export async function showOverview(root: HTMLElement, _place: Place) {
  const data = await getJson<Overview>('/api/overview');
  const clock = h('strong', { 'data-testid': 'reporting-clock' });
  const tick = () => {
    replace(
      clock,
      data.reporting.deadline === null
        ? 'no discovery time'
        : clockText(data.reporting.deadline, Date.now()),
    );
  };
  tick();
  const timer = window.setInterval(tick, 30_000);

  replace(
    root,
    h('h1', {}, data.case.title),
    h(
      'section',
      { class: 'cards' },
      h(
        'div',
        { class: 'card' },
        h('span', {}, 'events'),
        h('strong', { 'data-testid': 'event-count' }, data.events.toLocaleString('en')),
      ),
      h(
        'div',
        { class: 'card' },
        h('span', {}, 'first event'),
        h('strong', {}, formatTime(data.time_range.first)),
      ),
      h(
        'div',
        { class: 'card' },
        h('span', {}, 'last event'),
        h('strong', {}, formatTime(data.time_range.last)),
      ),
      h(
        'div',
        { class: 'card' },
        h('span', {}, 'rejected records'),
        h('strong', {}, data.rejected_total),
      ),
      h(
        'div',
        { class: 'card clock' },
        h(
          'span',
          {},
          `${data.reporting.hours}-hour reporting deadline (discovered ${formatTime(data.case.discovered_at)})`,
        ),
        clock,
      ),
    ),
    h('h2', {}, 'Detections by severity'),
    h(
      'section',
      { class: 'cards', 'data-testid': 'severity-counts' },
      ...SEVERITIES.map((level) =>
        h(
          'a',
          { class: `card severity-${level}`, href: '#detections' },
          h('span', {}, level),
          h('strong', {}, data.detections_by_severity[level] ?? 0),
        ),
      ),
    ),
    h('h2', {}, 'Log coverage'),
    table(
      [
        'category',
        'present',
        'events',
        'sources',
        'first event',
        'last event',
        'without it, no view of',
      ],
      data.coverage.map((row) => [
        row.category,
        row.present ? 'yes' : 'MISSING',
        row.events,
        row.sources.join(', '),
        formatTime(row.first_time),
        formatTime(row.last_time),
        row.present ? '' : row.blind_spot,
      ]),
      'coverage',
    ),
    h('h2', {}, 'Sources'),
    table(
      ['source', 'events', 'first event', 'last event'],
      data.sources.map((row) => [
        row.source,
        row.events,
        formatTime(row.first_time),
        formatTime(row.last_time),
      ]),
      'sources',
    ),
  );
  return () => window.clearInterval(timer);
}
