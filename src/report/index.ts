/**
 * Reports: the terminal summary, report.md, report.html, findings.json, the timeline, and the
 * templates of `cloudcase report` (summary, custody, CISA) with their deadline clocks.
 */
export { ATTACK_TIMELINE_LIMIT, buildReport, REJECTED_LIMIT } from './build-report.ts';
export { type CaseFields, caseFieldsOf, readCaseFields } from './case-fields.ts';
export type { CisaReport } from './cisa/types.ts';
export {
  type Deadline,
  deadlineLines,
  describeDeadline,
  reportingDeadlines,
} from './deadlines.ts';
export { renderHtml } from './html.ts';
export { renderMarkdown } from './markdown.ts';
export {
  buildSections,
  type ReportSection,
  SECTION_BUILDERS,
  type SectionBlock,
  type SectionBuilder,
} from './sections.ts';
export { renderSummary } from './summary.ts';
export {
  FORMATS,
  type ReportFormat,
  TEMPLATES,
  type Template,
  type WrittenReport,
  writeTemplateReport,
} from './templates.ts';
export {
  formatTimeline,
  TIMELINE_CSV_HEADER,
  type TimelineFormat,
  timelineCsvRow,
} from './timeline-format.ts';
export type * from './types.ts';
export { writeReports } from './write-reports.ts';
