/**
 * Log coverage: which of the log categories an intrusion leaves traces in the case holds, over
 * which times, and what the evidence cannot show for each category it lacks.
 */
import { CATEGORIES, type Category } from '../core/event.ts';
import { coverageOfSource } from '../sources/index.ts';
import type { CategoryCount } from '../store/types.ts';

/** One log category in the report, present or missing. */
export interface CoverageRow {
  category: Category;
  present: boolean;
  events: number;
  sources: string[];
  first_time: string | null;
  last_time: string | null;
  /** The question a responder cannot settle while the category is missing. */
  blind_spot: string;
}

const BLIND_SPOTS: Record<Category, string> = {
  audit: 'who called which cloud API, and when',
  network: 'connections, their peers and how many bytes left (flow, load balancer, DNS logs)',
  compute: 'what ran on instances and hosts, and who logged in to them',
  secrets: 'which keys, secrets and parameters were read or used',
  storage: 'which objects were read or written (storage access logs, data events)',
  database: 'queries and logins on databases',
  kubernetes: 'what happened inside clusters (API server audit logs)',
  identity: 'sign-ins, tokens and changes to users, roles and keys',
};

/** The coverage rule of one source's events; see `SourceFormat.logCategory`. */
export interface SourceCoverage {
  logCategory?: Category;
  alsoCovers?: readonly Category[];
}

// The categories a group of events counts for: the whole log category of its format, and its
// own category when the format evidences that category too.
function countedCategories(row: CategoryCount, coverage: SourceCoverage | undefined): string[] {
  if (coverage?.logCategory === undefined) return [row.category];
  const own = coverage.alsoCovers?.includes(row.category as Category) ?? false;
  return own && row.category !== coverage.logCategory
    ? [coverage.logCategory, row.category]
    : [coverage.logCategory];
}

/**
 * Lists every category in a fixed order, with the case's events that evidence it, or marked
 * missing. `coverageOf` gives each source's coverage rule, by default from its format.
 */
export function logCoverage(
  counts: readonly CategoryCount[],
  coverageOf: (source: string) => SourceCoverage | undefined = coverageOfSource,
): CoverageRow[] {
  const rows = new Map<string, CoverageRow>(
    CATEGORIES.map((category) => [
      category,
      {
        category,
        present: false,
        events: 0,
        sources: [],
        first_time: null,
        last_time: null,
        blind_spot: BLIND_SPOTS[category],
      },
    ]),
  );
  for (const count of counts) {
    for (const category of countedCategories(count, coverageOf(count.source))) {
      const row = rows.get(category);
      if (row === undefined || count.events === 0) continue;
      row.present = true;
      row.events += count.events;
      if (!row.sources.includes(count.source)) row.sources.push(count.source);
      row.sources.sort();
      if (row.first_time === null || count.first_time < row.first_time) {
        row.first_time = count.first_time;
      }
      if (row.last_time === null || count.last_time > row.last_time)
        row.last_time = count.last_time;
    }
  }
  return [...rows.values()];
}

/** Names the missing categories in one sentence, or returns `null` when none is missing. */
export function missingSentence(rows: readonly CoverageRow[]): string | null {
  const missing = rows.filter((row) => !row.present).map((row) => row.category);
  if (missing.length === 0) return null;
  return `No ${missing.join(', ')} logs in the case: the evidence cannot show what they record.`;
}

/** Column names of the coverage table, shared by the Markdown and HTML reports. */
export const COVERAGE_COLUMNS = [
  'category',
  'present',
  'events',
  'sources',
  'first event',
  'last event',
  'without it, no view of',
];

/** Returns the cells of one coverage row, in `COVERAGE_COLUMNS` order. */
export function coverageCells(row: CoverageRow): (string | number | null)[] {
  return [
    row.category,
    row.present ? 'yes' : 'MISSING',
    row.events,
    row.sources.join(', '),
    row.first_time,
    row.last_time,
    row.present ? '' : row.blind_spot,
  ];
}
