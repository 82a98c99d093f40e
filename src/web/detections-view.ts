/// <reference lib="dom" />
/**
 * Detections: rules grouped by severity, each opening its events in the timeline, and an
 * ATT&CK tactic × technique heat map of the distinct detected events, whose cells open them.
 */
import { getJson } from './api.ts';
import { formatTime, h, on, plural, replace } from './dom.ts';
import { go, type Place } from './router.ts';
import type { Detections, RuleFinding } from './types.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];
const HEAT_LEVELS = 5;

/** The timeline query that selects a rule's events. */
export function ruleQuery(ruleId: string): string {
  return `rule:"${ruleId.replace(/["\\]/g, '\\$&')}"`;
}

function ruleRow(rule: RuleFinding): HTMLElement {
  return on(
    h(
      'tr',
      { class: 'clickable', 'data-testid': 'rule', title: 'open its events in the timeline' },
      h('td', {}, rule.title),
      h('td', {}, rule.rule_id),
      h('td', {}, rule.events),
      h('td', {}, formatTime(rule.first_seen)),
      h('td', {}, formatTime(rule.last_seen)),
      h('td', {}, rule.tactics.join(', ')),
      h('td', {}, actorsCell(rule)),
    ),
    'click',
    () => go('timeline', { q: ruleQuery(rule.rule_id) }),
  );
}

/**
 * Builds the timeline query of a heat-map cell: the rules tagged with its tactic and technique.
 * A rule without tactics or techniques sits under `(no tactic)` or `(no technique)`, as the
 * server counts it.
 */
export function cellQuery(rules: readonly RuleFinding[], tactic: string, technique: string) {
  const matches = (values: readonly string[], wanted: string, none: string) =>
    values.length === 0 ? wanted === none : values.includes(wanted);
  return rules
    .filter(
      (rule) =>
        matches(rule.tactics, tactic, '(no tactic)') &&
        matches(rule.techniques, technique, '(no technique)'),
    )
    .map((rule) => ruleQuery(rule.rule_id))
    .join(' OR ');
}

function heatMap(data: Detections): HTMLElement {
  const tactics = [...new Set(data.matrix.map((cell) => cell.tactic))].sort();
  const techniques = [...new Set(data.matrix.map((cell) => cell.technique))].sort();
  const max = Math.max(1, ...data.matrix.map((cell) => cell.events));
  const cells = new Map(data.matrix.map((cell) => [`${cell.tactic}\u0000${cell.technique}`, cell]));

  return h(
    'table',
    { class: 'heat-map', 'data-testid': 'heat-map' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'technique \\ tactic'),
        ...tactics.map((tactic) => h('th', {}, tactic)),
      ),
    ),
    h(
      'tbody',
      {},
      ...techniques.map((technique) =>
        h(
          'tr',
          {},
          h('th', {}, technique),
          ...tactics.map((tactic) => {
            const cell = cells.get(`${tactic}\u0000${technique}`);
            const events = cell?.events ?? 0;
            const level = events === 0 ? 0 : Math.ceil((events / max) * HEAT_LEVELS);
            const counted = `${plural(cell?.rules ?? 0, 'rule')} (${plural(events, 'event')})`;
            const title = `${tactic} × ${technique}: ${counted}`;
            if (events === 0) return h('td', { class: 'heat-0', title }, '');
            return on(
              h(
                'td',
                {
                  class: `heat-${level} clickable`,
                  title: `${title}; open them in the timeline`,
                  'data-testid': 'heat-cell',
                },
                events,
              ),
              'click',
              () => go('timeline', { q: cellQuery(data.rules, tactic, technique) }),
            );
          }),
        ),
      ),
    ),
  );
}

export async function showDetections(root: HTMLElement, _place: Place) {
  const data = await getJson<Detections>('/api/detections');
  const sections = SEVERITIES.map((severity) => {
    const rules = data.rules.filter((rule) => rule.severity === severity);
    if (rules.length === 0) return null;
    return h(
      'section',
      { class: `severity-${severity}` },
      h('h3', {}, `${severity} (${plural(rules.length, 'rule')})`),
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['rule', 'id', 'events', 'first', 'last', 'tactics', 'actors'].map((name) =>
              h('th', {}, name),
            ),
          ),
        ),
        h('tbody', {}, ...rules.map(ruleRow)),
      ),
    );
  });

  replace(
    root,
    h('h1', {}, 'Detections'),
    data.rules.length === 0 ? h('p', {}, 'No rule matched an event of this case.') : null,
    h('h2', {}, 'ATT&CK tactics × techniques'),
    h(
      'p',
      { 'data-testid': 'heat-map-unit' },
      'Each cell counts the distinct events that the rules tagged with its tactic and technique ' +
        'detected; an event two of those rules detected counts once.',
    ),
    heatMap(data),
    h('h2', {}, 'Rules by severity'),
    ...sections,
  );
  return undefined;
}

/** Names the actors the server sent and counts the others. */
export function actorsCell(rule: Pick<RuleFinding, 'actors' | 'actor_count'>): string {
  const others = rule.actor_count - rule.actors.length;
  const shown = rule.actors.join(', ');
  return others > 0 ? `${shown} and ${others} more` : shown;
}
