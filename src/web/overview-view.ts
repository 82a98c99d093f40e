/// <reference lib="dom" />
/** Overview: the case, its log coverage, counts, time range, detections and reporting clock. */
import { getJson } from './api.ts';
import { formatTime, h, plural, replace } from './dom.ts';
import type { Place } from './router.ts';
import type { Overview, ReportingClock } from './types.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];

/**
 * Describes a reporting clock as of `now` (milliseconds since the epoch): when it was reported,
 * or the hours and minutes left until it is due or since it passed.
 */
export function clockText(clock: ReportingClock, now: number): string {
  if (clock.reported_at !== null) {
    const side = clock.state === 'late' ? 'after' : 'within';
    return `reported ${formatTime(clock.reported_at)}, ${side} the deadline`;
  }

  const left = Date.parse(clock.due_at) - now;
  const minutes = Math.floor(Math.abs(left) / 60_000);
  const text = `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
  return left >= 0 ? `${text} left` : `overdue by ${text}`;
}

// Test ids of the clocks; the incident report's keeps the id the single clock had.
const CLOCK_IDS: Record<ReportingClock['id'], string> = {
  incident_report: 'reporting-clock',
  ransom_payment_report: 'ransom-clock',
};

/** Cards of the reporting clocks, and a function that updates their time left. */
function clockCards(clocks: readonly ReportingClock[]): [HTMLElement[], () => void] {
  if (clocks.length === 0) {
    const card = h(
      'div',
      { class: 'card clock' },
      h('span', {}, '72-hour reporting deadline'),
      h('strong', { 'data-testid': 'reporting-clock' }, 'no discovery time'),
    );
    return [[card], () => {}];
  }

  const shown = clocks.map((clock) => ({
    clock,
    text: h('strong', { 'data-testid': CLOCK_IDS[clock.id] }),
  }));
  const tick = () => {
    for (const { clock, text } of shown) replace(text, clockText(clock, Date.now()));
  };
  const cards = shown.map(({ clock, text }) =>
    h(
      'div',
      { class: `card clock clock-${clock.state}` },
      h(
        'span',
        {},
        `${clock.label}: from ${formatTime(clock.started_at)}, due ${formatTime(clock.due_at)}`,
      ),
      text,
    ),
  );
  return [cards, tick];
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
  const [clocks, tick] = clockCards(data.reporting.deadlines);
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
      ...clocks,
    ),
    h('h2', {}, 'Detections by severity: rules matched (distinct events detected)'),
    h(
      'section',
      { class: 'cards', 'data-testid': 'severity-counts' },
      ...SEVERITIES.map((level) => {
        const totals = data.detections_by_severity[level] ?? { rules: 0, events: 0 };
        return h(
          'a',
          {
            class: `card severity-${level}`,
            href: '#detections',
            'data-testid': `severity-${level}`,
          },
          h('span', {}, level),
          h('strong', {}, `${plural(totals.rules, 'rule')} (${plural(totals.events, 'event')})`),
        );
      }),
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
