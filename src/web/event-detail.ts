/// <reference lib="dom" />
/**
 * The open event: its normalized fields, raw record and evidence, the rules that detected it
 * with the fields and values that matched, its marks with the controls to add them, and the windows of "events around this one".
 */
import { getJson, postJson } from './api.ts';
import { button, formatTime, h, on, replace } from './dom.ts';
import { errorText } from './errors.ts';
import { indentJson } from './json-indent.ts';
import type { DetectionExplanation, EventDetail, Mark } from './types.ts';

/** The windows "events around this one" offers, in minutes either side. */
export const AROUND_MINUTES = [1, 5, 15, 60];

const HIDDEN = new Set(['raw', 'marks', 'detections', 'evidence_path']);

/**
 * Characters of a message or field value the panel shows; the raw record below shows the
 * record whole. Chromium lays out one unbroken word of 100,000 characters in proportional type for tens of
 * seconds, because it shapes the word again for every line it wraps.
 */
export const MAX_SHOWN_CHARACTERS = 4000;

/** Shortens text past `MAX_SHOWN_CHARACTERS`, saying how much is left out. */
export function clipText(text: string): string {
  if (text.length <= MAX_SHOWN_CHARACTERS) return text;
  const rest = (text.length - MAX_SHOWN_CHARACTERS).toLocaleString('en');
  return `${text.slice(0, MAX_SHOWN_CHARACTERS)} … (${rest} more characters not shown)`;
}

export interface DetailActions {
  /** Shows the events within `minutes` either side of `time`. */
  around(time: string, minutes: number): void;
  /** Opens the events a rule detected. */
  rule(ruleId: string): void;
  /** Called after a mark was added or removed. */
  changed(): void;
}

function fieldRows(event: EventDetail): HTMLElement[] {
  return Object.entries(event)
    .filter(
      ([name, value]) =>
        !HIDDEN.has(name) &&
        value !== null &&
        value !== '' &&
        !(Array.isArray(value) && value.length === 0),
    )
    .map(([name, value]) =>
      h(
        'tr',
        {},
        h('th', {}, name),
        h('td', {}, clipText(typeof value === 'string' ? value : JSON.stringify(value))),
      ),
    );
}

/** Lists the fields and values that made a rule match, as `field|modifiers: value matched expected`. */
function reasonList(explanation: DetectionExplanation): HTMLElement {
  const items = explanation.reasons.map((reason) => {
    const field = reason.field ?? 'keyword';
    const name = [field, ...reason.modifiers].join('|');
    return h(
      'li',
      {},
      h('code', {}, name),
      ': ',
      h('code', {}, reason.value ?? 'missing'),
      ` matched ${reason.expected}`,
    );
  });
  const omitted = explanation.omitted > 0 && h('li', {}, `${explanation.omitted} more not kept`);
  return h('ul', { class: 'reasons', 'data-testid': 'reasons' }, ...items, omitted);
}

export async function renderDetail(
  panel: HTMLElement,
  uid: string,
  actions: DetailActions,
): Promise<void> {
  const event = await getJson<EventDetail>('/api/event', { uid });
  const message = h('p', { class: 'error', role: 'alert' });
  const mark = (kind: Mark['kind'], value: string, remove = false) =>
    postJson(remove ? '/api/marks/remove' : '/api/marks', { uid, kind, value })
      .then(() => {
        actions.changed();
        return renderDetail(panel, uid, actions);
      })
      .catch((error: unknown) => replace(message, errorText(error)));

  const starred = event.marks.some((m) => m.kind === 'star');
  const tagInput = h('input', {
    type: 'text',
    placeholder: 'tag',
    'aria-label': 'tag',
    'data-testid': 'tag-input',
  });
  on(tagInput, 'keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') void mark('tag', tagInput.value);
  });
  const comment = h('textarea', {
    placeholder: 'comment',
    'aria-label': 'comment',
    'data-testid': 'comment-input',
  });

  replace(
    panel,
    h(
      'div',
      { class: 'detail-head' },
      h('h2', {}, formatTime(event.time)),
      button('×', () => replace(panel), { title: 'close', 'aria-label': 'close' }),
    ),
    h(
      'p',
      { class: 'message', 'data-testid': 'detail-message' },
      clipText(String(event.message ?? '')),
    ),
    h(
      'div',
      { class: 'marks' },
      button(starred ? '★ starred' : '☆ star', () => void mark('star', '', starred), {
        'data-testid': 'star',
      }),
      tagInput,
      button('Add tag', () => void mark('tag', tagInput.value), { 'data-testid': 'add-tag' }),
      h(
        'ul',
        { class: 'mark-list', 'data-testid': 'marks' },
        ...event.marks
          .filter((m) => m.kind !== 'star')
          .map((m) =>
            h(
              'li',
              {},
              h('span', { class: m.kind === 'tag' ? 'tag' : 'comment' }, m.value),
              h('small', {}, ` ${m.actor}, ${formatTime(m.time)} `),
              button('remove', () => void mark(m.kind, m.value, true)),
            ),
          ),
      ),
      comment,
      button('Add comment', () => void mark('comment', comment.value), {
        'data-testid': 'add-comment',
      }),
      message,
    ),
    h(
      'div',
      { class: 'around' },
      'Events around this one: ',
      ...AROUND_MINUTES.map((minutes) =>
        button(
          `±${minutes < 60 ? `${minutes} min` : `${minutes / 60} h`}`,
          () => actions.around(event.time, minutes),
          {
            'data-testid': `around-${minutes}`,
          },
        ),
      ),
    ),
    event.detections.length > 0 &&
      h(
        'div',
        { class: 'detections' },
        h('h3', {}, 'Detected by'),
        h(
          'ul',
          {},
          ...event.detections.map((d) =>
            h(
              'li',
              {},
              button(`${d.level ?? ''} ${d.title ?? d.rule_id}`, () => actions.rule(d.rule_id)),
              d.explanation !== null && reasonList(d.explanation),
            ),
          ),
        ),
      ),
    h('h3', {}, 'Evidence'),
    h(
      'table',
      { class: 'fields', 'data-testid': 'evidence' },
      h('tr', {}, h('th', {}, 'file'), h('td', {}, event.evidence_path ?? '')),
      h('tr', {}, h('th', {}, 'sha256'), h('td', {}, event.evidence_sha256)),
      event.evidence_member !== null &&
        h('tr', {}, h('th', {}, 'member'), h('td', {}, event.evidence_member)),
      h('tr', {}, h('th', {}, 'record index'), h('td', {}, event.evidence_record)),
      h('tr', {}, h('th', {}, 'byte offset'), h('td', {}, event.evidence_offset ?? '')),
    ),
    h('h3', {}, 'Normalized fields'),
    h('table', { class: 'fields', 'data-testid': 'fields' }, ...fieldRows(event)),
    h('h3', {}, 'Raw record'),
    // Indented from the text the server sent, never parsed: parsing would round big numbers.
    h(
      'pre',
      { class: 'raw', 'data-testid': 'raw' },
      event.raw === null ? '(no raw record stored)' : indentJson(event.raw),
    ),
  );
}
