/** Reports: the terminal summary, report.md, report.html, findings.json and the timeline. */
export { ATTACK_TIMELINE_LIMIT, buildReport, REJECTED_LIMIT } from './build-report.ts';
export { renderHtml } from './html.ts';
export { renderMarkdown } from './markdown.ts';
export { renderSummary } from './summary.ts';
export {
  formatTimeline,
  TIMELINE_CSV_HEADER,
  type TimelineFormat,
  timelineCsvRow,
} from './timeline-format.ts';
export type * from './types.ts';
export { writeReports } from './write-reports.ts';
