/// <reference lib="dom" />
/**
 * Entities: identities linked to the access keys, source IPs and resources they used, drawn
 * with Cytoscape. A node opens its events in the timeline.
 */
import cytoscape from 'cytoscape';
import { getJson } from './api.ts';
import { button, h, on, plural, replace, visible } from './dom.ts';
import { go, type Place } from './router.ts';
import type { GraphData, GraphNode, ScopeSummary } from './types.ts';

const COLORS: Record<string, string> = {
  identity: '#2864b4',
  access_key: '#b47a28',
  ip: '#2a9d5c',
  resource: '#8a4fb4',
};

// Canvas labels are drawn as text, never parsed, so any label is inert; long ones are cut.
function label(text: string, max = 40): string {
  const shown = visible(text);
  return shown.length > max ? `${shown.slice(0, max - 1)}…` : shown;
}

export async function showEntities(root: HTMLElement, _place: Place) {
  const data = await getJson<GraphData>('/api/entities');
  const box = h('div', { class: 'graph', 'data-testid': 'graph' });
  const info = h(
    'div',
    { class: 'node-info', 'data-testid': 'node-info' },
    'Choose a node in the graph or the list above it to see its events.',
  );
  const picker = nodePicker(data.nodes);
  replace(
    root,
    h('h1', {}, 'Entities'),
    h(
      'p',
      { class: 'legend' },
      ...Object.entries(COLORS).map(([kind]) => h('span', { class: `legend-${kind}` }, kind)),
    ),
    picker,
    h('div', { class: 'graph-layout' }, box, info),
  );
  if (data.nodes.length === 0) {
    replace(box, h('p', {}, 'No identities in the events of this case.'));
    return undefined;
  }

  const graph = cytoscape({
    container: box,
    elements: [
      ...data.nodes.map((node) => ({
        data: {
          id: node.id,
          label: label(node.label),
          kind: node.kind,
          color: COLORS[node.kind] ?? '#666',
        },
      })),
      ...data.edges.map((edge, index) => ({
        data: { id: `e${index}`, source: edge.source, target: edge.target, events: edge.events },
      })),
    ],
    style: [
      {
        selector: 'node',
        style: {
          label: 'data(label)',
          'background-color': 'data(color)',
          'font-size': 9,
          color: '#222',
        },
      },
      // Labels smaller than 9 pixels on screen are hidden until the graph is zoomed in. Key
      // labels are smallest, so clusters of session keys do not bury the other labels.
      { selector: 'node', style: { 'min-zoomed-font-size': 9, 'font-size': 10 } },
      { selector: 'node[kind = "access_key"]', style: { 'font-size': 8 } },
      { selector: 'node[kind = "identity"]', style: { 'font-size': 12, 'font-weight': 'bold' } },
      { selector: 'edge', style: { width: 1, 'line-color': '#bbb' } },
      { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#000' } },
    ],
    layout: { name: 'cose', animate: false, randomize: false },
  });
  const byId = new Map(data.nodes.map((node) => [node.id, node]));
  const showNode = (node: GraphNode) => {
    replace(
      info,
      h('h3', {}, node.kind),
      h('p', { class: 'node-label' }, node.label),
      h('p', {}, `${plural(node.events, 'event')} on its links`),
      button('Open its events', () => go('timeline', { q: node.query }), {
        'data-testid': 'node-events',
      }),
      button('Show its scope', () => void showScope(info, node), { 'data-testid': 'node-scope' }),
    );
  };
  graph.on('tap', 'node', (event) => {
    const node = byId.get(event.target.id());
    if (node !== undefined) showNode(node);
  });
  on(picker, 'change', () => {
    const node = byId.get(picker.value);
    if (node === undefined) return;
    graph.$(':selected').unselect();
    const element = graph.getElementById(node.id);
    element.select();
    graph.center(element);
    showNode(node);
  });
  box.dataset.nodes = String(data.nodes.length);
  return () => graph.destroy();
}

/** Builds a list of the graph's nodes by kind, busiest first, for finding one in a dense graph. */
function nodePicker(nodes: readonly GraphNode[]): HTMLSelectElement {
  const groups = Object.keys(COLORS).map((kind) => {
    const members = nodes
      .filter((node) => node.kind === kind)
      .sort((a, b) => b.events - a.events || a.label.localeCompare(b.label));
    const group = h(
      'optgroup',
      {},
      ...members.map((node) =>
        h(
          'option',
          { value: node.id },
          `${label(node.label, 90)} (${plural(node.events, 'event')})`,
        ),
      ),
    );
    group.label = kind;
    return group;
  });
  return h(
    'select',
    { class: 'node-picker', 'aria-label': 'find a node', 'data-testid': 'node-picker' },
    h('option', { value: '' }, 'find a node…'),
    ...groups.filter((group) => group.childElementCount > 0),
  );
}

const hours = (seconds: number) => `${(seconds / 3600).toFixed(1)} h`;

/** Shows what the node did and touched, as `cloudcase scope` finds it, below the node. */
async function showScope(info: HTMLElement, node: GraphNode) {
  const box = h('div', { class: 'node-scope', 'data-testid': 'scope-summary' }, 'Scoping…');
  info.append(box);
  let scope: ScopeSummary;
  try {
    scope = await getJson<ScopeSummary>('/api/scope', { kind: node.kind, value: node.label });
  } catch (error) {
    replace(box, h('p', {}, `No scope: ${error instanceof Error ? error.message : String(error)}`));
    return;
  }
  const span =
    scope.first_activity === null
      ? 'no activity'
      : `${scope.first_activity} to ${scope.last_activity ?? ''}` +
        (scope.dwell_seconds === null ? '' : ` (${hours(scope.dwell_seconds)})`);
  replace(
    box,
    h('h4', {}, 'Scope'),
    h('p', {}, `${plural(scope.events, 'event')}, ${span}`),
    h('p', {}, scope.by_source.map((row) => `${visible(row.source)} ${row.events}`).join(', ')),
    ...splitLines(scope),
    ...scope.verdicts.map((row) => h('p', { class: 'verdict' }, verdictText(row))),
    h('p', { 'data-testid': 'scope-data-read' }, `Data read: ${visible(scope.data_read_text)}`),
    ...(scope.flow_text === null ? [] : [h('p', {}, `Flows: ${visible(scope.flow_text)}`)]),
    h('p', { 'data-testid': 'scope-changes' }, changesText(scope)),
    ...scope.changes.map((row) =>
      h(
        'p',
        { class: 'rollback' },
        `${row.time} ${visible(row.operation)} ${visible(row.resources.join(' '))}: ` +
          visible(row.rollback),
      ),
    ),
    ...scope.narrative.map((line) => h('p', { class: 'narrative' }, visible(line))),
  );
}

// The sources kept as suspicious and those left out as the owner's usual activity.
function splitLines(scope: ScopeSummary): HTMLElement[] {
  if (scope.split.mode === 'all') return [];
  const list = (uses: ScopeSummary['split']['excluded']) =>
    uses.map((use) => `${visible(use.source ?? 'unknown')} (${use.events})`).join(', ') || 'none';

  return [
    h('p', {}, `Suspicious sources: ${list(scope.split.suspicious_sources)}`),
    h('p', {}, `Left out as usual activity: ${list(scope.split.excluded)}`),
  ];
}

function verdictText(row: ScopeSummary['verdicts'][number]): string {
  const first = row.first_suspicious;
  const failed = first.status === 'failure' ? ' (failed)' : '';
  return (
    `${row.verdict.replace(/_/g, ' ')}: ${visible(row.summary)} First suspicious: ` +
    `${first.time} ${visible(first.operation ?? '-')}${failed} from ` +
    `${visible(first.source ?? 'unknown')}.`
  );
}

function changesText(scope: ScopeSummary): string {
  const listed = scope.changes.length;
  const more = scope.change_count > listed ? ` (the first ${listed} listed)` : '';
  return `Changes to roll back: ${scope.change_count}${more}`;
}
