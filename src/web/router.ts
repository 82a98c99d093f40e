/// <reference lib="dom" />
/** The app's location: a view name and its parameters, kept in the URL fragment. */

export type ViewName = 'overview' | 'timeline' | 'detections' | 'entities' | 'marks' | 'reports';

export const VIEWS: readonly { name: ViewName; label: string }[] = [
  { name: 'overview', label: 'Overview' },
  { name: 'timeline', label: 'Timeline' },
  { name: 'detections', label: 'Detections' },
  { name: 'entities', label: 'Entities' },
  { name: 'marks', label: 'Marks' },
  { name: 'reports', label: 'Report' },
];

export interface Place {
  view: ViewName;
  params: URLSearchParams;
}

/** Reads the place from `location.hash`, such as `#timeline?q=status:failure`. */
export function currentPlace(): Place {
  const [name = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const view = VIEWS.find((candidate) => candidate.name === name)?.name ?? 'overview';
  return { view, params: new URLSearchParams(query) };
}

/** Moves to a view with parameters; empty parameters are left out. */
export function go(view: ViewName, params: Record<string, string> = {}): void {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== '') query.set(name, value);
  const text = query.toString();
  location.hash = text === '' ? view : `${view}?${text}`;
}
