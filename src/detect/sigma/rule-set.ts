/**
 * A compiled set of Sigma rules for one stream of events. Single-event rules are routed by
 * logsource, prefiltered and evaluated on `event.raw`. Their matches feed the correlation rules,
 * which are evaluated when the stream ends.
 */
import type { Event } from '../../core/event.ts';
import type { CorrelationHit, EventMatch, RuleMeta } from '../types.ts';
import { type CompileOptions, compileRuleView, type ViewPredicate } from './compile.ts';
import {
  aliasedField,
  CorrelationEngine,
  type CorrelationPlan,
  type OccurrenceSink,
  type ViewFeed,
} from './correlation-engine.ts';
import { compileExplainer, type MatchExplainer, type MatchExplanation } from './explain.ts';
import type { RuleIssue } from './issues.ts';
import {
  LOGSOURCE_ROUTES,
  type LogSourceRoute,
  routedRule,
  routeLogSource,
  routeSources,
} from './logsource.ts';
import type { CorrelationRule, DetectionRule, SigmaRule } from './model.ts';
import { PrefilterIndex, ruleRequirements } from './prefilter.ts';
import { FieldTable, RecordView } from './record-view.ts';
import { attackFromTags } from './tags.ts';

/** Options of a rule set. */
export interface RuleSetOptions {
  /** Source ids that events may have; a rule routed to another source gets an issue. */
  sources?: string[];
  /** Values of `%name%` placeholders for rules that use the `expand` modifier. */
  placeholders?: Record<string, string[]>;
  /** Logsource routing table; `LOGSOURCE_ROUTES` when absent. */
  routes?: readonly LogSourceRoute[];
  /** Whether to index rules by required field values; on by default, results are the same. */
  prefilter?: boolean;
  /**
   * Sink of the occurrences of correlation rules, so the set keeps none in memory; evaluate
   * what it received with `correlationPlan`.
   */
  occurrences?: OccurrenceSink;
}

interface CompiledRule {
  rule: DetectionRule;
  /** The options the predicate was compiled with, for explanations. */
  options: CompileOptions;
  /** Position in the rule set, so matches come out in rule order. */
  order: number;
  predicate: ViewPredicate;
  /** Whether matches are reported on their own (false for correlation-only base rules). */
  emit: boolean;
  /** The correlations the rule's matches feed, bound to its source's field table, or null. */
  feeds: ViewFeed[] | null;
}

/** The rules routed to one source, with the field table and view they read records through. */
interface SourceRules {
  table: FieldTable;
  view: RecordView;
  index: PrefilterIndex<CompiledRule>;
}

// The record a view holds between events, so it keeps no event alive.
const EMPTY_RECORD: Record<string, unknown> = Object.freeze({});

/** Compiled rules, ready to match a stream of events. */
export class RuleSet {
  /** Problems found while building the set, such as rules routed to no known source. */
  readonly issues: RuleIssue[] = [];
  readonly #rules: SigmaRule[] = [];
  readonly #bySource = new Map<string, SourceRules>();
  readonly #byId = new Map<string, CompiledRule>();
  readonly #explainers = new Map<string, MatchExplainer | null>();
  readonly #engine: CorrelationEngine;

  constructor(rules: SigmaRule[], options: RuleSetOptions = {}) {
    const unique = this.#dedupe(rules);
    const byReference = referenceMap(unique);
    const resolve = (reference: string) => byReference.get(reference.toLowerCase());
    const correlations = this.#checkCorrelations(unique, resolve);
    this.#engine = new CorrelationEngine(correlations, resolve, options.occurrences);

    const generated = generatedRules(correlations, resolve);
    const compileOptions: CompileOptions = options.placeholders
      ? { placeholders: options.placeholders }
      : {};
    let order = 0;
    for (const rule of unique) {
      if (rule.kind === 'correlation') {
        if (correlations.includes(rule)) this.#rules.push(rule);
        continue;
      }
      const feeds = this.#engine.feeds(rule.id);
      const emit = !feeds || generated.has(rule.id);
      const compiled = this.#compile(rule, options, compileOptions, order++, emit, feeds);
      if (compiled) this.#rules.push(rule);
    }
  }

  /** Matches one event against the rules of its source and feeds correlation state. */
  match(event: Event): EventMatch[] {
    const source = this.#bySource.get(event.source);
    if (source === undefined) return [];

    // One view per source serves every event in turn: matching is synchronous, so no two
    // events are evaluated at once.
    const view = source.view.reset(event.raw);
    let matches: EventMatch[] | null = null;
    for (const compiled of source.index.candidates(view)) {
      if (!compiled.predicate(view)) continue;
      if (compiled.emit) {
        matches ??= [];
        matches.push({ rule_id: compiled.rule.id, event_uid: event.uid, time: event.time });
      }
      if (compiled.feeds !== null) this.#engine.addViewed(compiled.feeds, event, view);
    }
    view.reset(EMPTY_RECORD);
    return matches ?? [];
  }

  /**
   * Explains why a single-event rule of the set matched an event: the searches, fields and
   * values that satisfied it. Returns `null` when the set has no such rule or the rule does not
   * match the event. Matching computes no explanation, so call this for matches only.
   */
  explain(ruleId: string, event: Event): MatchExplanation | null {
    return this.explainRecord(ruleId, event.raw);
  }

  /** Explains a match of a single-event rule on a raw record, as `explain` does on an event. */
  explainRecord(ruleId: string, record: Record<string, unknown>): MatchExplanation | null {
    const compiled = this.#byId.get(ruleId);
    if (compiled === undefined) return null;

    let explainer = this.#explainers.get(ruleId);
    if (explainer === undefined) {
      const built = compileExplainer(compiled.rule, compiled.options);
      explainer = typeof built === 'function' ? built : null;
      this.#explainers.set(ruleId, explainer);
    }
    return explainer === null ? null : explainer(record);
  }

  /**
   * Ends the stream: evaluates correlation rules over what was matched and returns their hits.
   * A set built with `occurrences` raises an error, because that sink contains the occurrences.
   */
  finish(): CorrelationHit[] {
    return this.#engine.finish();
  }

  /** Returns the valid correlation rules in evaluation order, with the chains between them. */
  correlationPlan(): CorrelationPlan {
    return this.#engine.plan;
  }

  /** Metadata of every rule in the set, single-event and correlation. */
  meta(): RuleMeta[] {
    return this.#rules.map(ruleMeta);
  }

  #compile(
    rule: DetectionRule,
    options: RuleSetOptions,
    compileOptions: CompileOptions,
    order: number,
    emit: boolean,
    feeds: boolean,
  ): boolean {
    const route = routeLogSource(rule.logsource, options.routes ?? LOGSOURCE_ROUTES);
    if (route === null) {
      this.#issue(
        rule,
        'unknown_logsource',
        'warning',
        `No source is known for logsource ${describe(rule)}; the rule is routed nowhere.`,
      );
      return false;
    }
    const available = options.sources;
    const sources = routeSources(route).filter((source) => available?.includes(source) ?? true);
    if (sources.length === 0) {
      this.#issue(
        rule,
        'source_unavailable',
        'warning',
        `Source ${route.source} is not among this run's sources; the rule is routed nowhere.`,
      );
      return false;
    }

    const mapField = route.mapField;
    const ruleOptions = mapField ? { ...compileOptions, mapField } : compileOptions;
    const routed = routedRule(rule, route);
    const requirements = options.prefilter === false ? [] : ruleRequirements(routed, mapField);
    // Predicates read fields through the table of their source, so a rule routed to several
    // sources is compiled once for each.
    let first: CompiledRule | null = null;
    for (const name of sources) {
      const source = this.#sourceRules(name);
      const predicate = compileRuleView(routed, source.table, ruleOptions);
      if (typeof predicate !== 'function') {
        this.#issue(rule, predicate.code, 'error', predicate.message);
        return false;
      }
      const compiled: CompiledRule = {
        rule: routed,
        options: ruleOptions,
        order,
        predicate,
        emit,
        feeds: feeds ? this.#engine.viewFeeds(rule.id, source.table) : null,
      };
      source.index.add(compiled, requirements);
      first ??= compiled;
    }
    if (first === null) return false;
    this.#byId.set(rule.id, first);
    return true;
  }

  #sourceRules(name: string): SourceRules {
    let source = this.#bySource.get(name);
    if (source === undefined) {
      const table = new FieldTable();
      source = { table, view: new RecordView(table), index: new PrefilterIndex(table) };
      this.#bySource.set(name, source);
    }
    return source;
  }

  #dedupe(rules: SigmaRule[]): SigmaRule[] {
    const seen = new Map<string, SigmaRule>();
    return rules.filter((rule) => {
      const first = seen.get(rule.id);
      if (first === undefined) {
        seen.set(rule.id, rule);
        return true;
      }
      const where = first.line === null ? first.file : `${first.file}:${first.line}`;
      this.#issue(
        rule,
        'duplicate_id',
        // The rule does not load, so the issue is an error like any other that stops a rule.
        'error',
        `The rule in ${where} already has id ${rule.id}; this one is skipped.`,
      );
      return false;
    });
  }

  /** Keeps the correlations whose references resolve, ordered so references come first. */
  #checkCorrelations(rules: SigmaRule[], resolve: (reference: string) => SigmaRule | undefined) {
    const valid = new Map<string, CorrelationRule>();
    const candidates = rules.filter((rule): rule is CorrelationRule => rule.kind === 'correlation');
    for (const rule of candidates) {
      if (this.#correlationProblem(rule, resolve)) continue;
      valid.set(rule.id, rule);
    }
    return orderCorrelations([...valid.values()], resolve, (rule, message) => {
      this.#issue(rule, 'correlation_cycle', 'error', message);
    });
  }

  #correlationProblem(
    rule: CorrelationRule,
    resolve: (reference: string) => SigmaRule | undefined,
  ) {
    for (const reference of rule.rules) {
      const target = resolve(reference);
      if (target === undefined) {
        this.#issue(
          rule,
          'unknown_rule_reference',
          'error',
          `Correlation refers to rule "${reference}", which is not loaded.`,
        );
        return true;
      }
      if (target.kind === 'correlation' && !chainable(rule, target)) {
        this.#issue(
          rule,
          'unsupported_correlation_chain',
          'error',
          `Correlation over "${reference}" groups by fields that correlation does not group by.`,
        );
        return true;
      }
    }
    return false;
  }

  #issue(rule: SigmaRule, code: string, severity: RuleIssue['severity'], message: string): void {
    this.issues.push({ code, severity, file: rule.file, line: rule.line, field: null, message });
  }
}

/** Checks that an outer correlation groups only by fields the inner correlation's hits carry. */
function chainable(outer: CorrelationRule, inner: CorrelationRule): boolean {
  return outer.groupBy.every((name) => inner.groupBy.includes(aliasedField(outer, name, inner)));
}

function referenceMap(rules: SigmaRule[]): Map<string, SigmaRule> {
  const map = new Map<string, SigmaRule>();
  for (const rule of rules) {
    map.set(rule.id.toLowerCase(), rule);
    if (rule.name !== null && !map.has(rule.name.toLowerCase()))
      map.set(rule.name.toLowerCase(), rule);
  }
  return map;
}

function generatedRules(
  correlations: CorrelationRule[],
  resolve: (reference: string) => SigmaRule | undefined,
) {
  const ids = new Set<string>();
  for (const rule of correlations.filter((correlation) => correlation.generate)) {
    for (const reference of rule.rules) {
      const target = resolve(reference);
      if (target !== undefined) ids.add(target.id);
    }
  }
  return ids;
}

function orderCorrelations(
  rules: CorrelationRule[],
  resolve: (reference: string) => SigmaRule | undefined,
  onCycle: (rule: CorrelationRule, message: string) => void,
): CorrelationRule[] {
  const ordered: CorrelationRule[] = [];
  const state = new Map<string, 'visiting' | 'done' | 'failed'>();
  const ids = new Set(rules.map((rule) => rule.id));

  const visit = (rule: CorrelationRule): boolean => {
    const seen = state.get(rule.id);
    if (seen === 'done') return true;
    if (seen !== undefined) return false;
    state.set(rule.id, 'visiting');
    for (const reference of rule.rules) {
      const target = resolve(reference);
      if (target?.kind !== 'correlation') continue;
      if (!ids.has(target.id) || !visit(target)) {
        state.set(rule.id, 'failed');
        onCycle(rule, `Correlation depends on "${reference}", which is cyclic or not loaded.`);
        return false;
      }
    }
    state.set(rule.id, 'done');
    ordered.push(rule);
    return true;
  };

  for (const rule of rules) visit(rule);
  return ordered;
}

function describe(rule: DetectionRule): string {
  const { product, service, category } = rule.logsource;
  const parts = Object.entries({ product, service, category }).filter(
    ([, value]) => value !== null,
  );
  return parts.map(([key, value]) => `${key}=${value}`).join(' ');
}

function ruleMeta(rule: SigmaRule): RuleMeta {
  const { tactics, techniques } = attackFromTags(rule.tags);
  return {
    id: rule.id,
    title: rule.title,
    level: rule.level,
    description: rule.description,
    tactics,
    techniques,
    tags: rule.tags,
    falsepositives: rule.falsepositives,
    file: rule.file,
  };
}
