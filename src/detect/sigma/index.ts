/** The Sigma engine: rule parsing and validation, the in-memory backend and rule sets. */
export {
  type CheckTotals,
  checkRules,
  type FileCheck,
  type FileStatus,
  type RuleCheckReport,
} from './check.ts';
export type { CompileOptions, CompileRefusal, RecordPredicate } from './compile.ts';
export { compileRule } from './compile.ts';
export {
  type CorrelationPlan,
  MAX_HIT_UIDS,
  type OccurrenceSink,
} from './correlation-engine.ts';
export {
  compileExplainer,
  explainMatch,
  type MatchExplainer,
  type MatchExplanation,
  type MatchReason,
} from './explain.ts';
export { applyFilters, type FilterResult } from './filter.ts';
export type { RuleIssue } from './issues.ts';
export { type LoadedFile, type LoadResult, loadRules } from './load.ts';
export {
  LOGSOURCE_ROUTES,
  type LogSourceRoute,
  routeLogSource,
  routeSources,
} from './logsource.ts';
export type * from './model.ts';
export { KNOWN_MODIFIERS } from './modifiers.ts';
export { type ParseResult, parseRuleText } from './parse.ts';
export { RuleSet, type RuleSetOptions } from './rule-set.ts';
export {
  MAX_REASON_TEXT,
  MAX_STORED_REASONS,
  storedExplanation,
} from './stored-explanation.ts';
export { attackFromTags } from './tags.ts';
