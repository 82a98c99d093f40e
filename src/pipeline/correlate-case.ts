/**
 * Evaluation of correlation rules over a whole case, for use after ingest: base rules run in
 * SQL over every stored event, so correlations see evidence from every run, not only the
 * events of the run that is ending.
 */

import type { RuleIssue, SigmaRule } from '../detect/sigma/index.ts';
import { huntRules } from '../detect/sigma-sql/hunt-rules.ts';
import type { SqlRulesOptions } from '../detect/sigma-sql/scan.ts';
import type { CorrelationHit } from '../detect/types.ts';
import type { CaseDb } from '../store/case-db.ts';

/** The hits stored by `correlateCase` and the rules that could not be evaluated. */
export interface CaseCorrelations {
  hits: CorrelationHit[];
  problems: RuleIssue[];
}

/**
 * Evaluates the correlation rules among `rules` (with the single-event rules they refer to)
 * over every event of the case, and replaces the stored hits of each correlation with the
 * result, so running it again stores the same hits once. Single-event matches are not stored.
 */
export async function correlateCase(
  db: CaseDb,
  rules: readonly SigmaRule[],
  options: SqlRulesOptions = {},
): Promise<CaseCorrelations> {
  const correlations = rules.filter((rule) => rule.kind === 'correlation');
  if (correlations.length === 0) return { hits: [], problems: [] };

  const connection = await db.connect();
  try {
    const outcome = await huntRules(connection, withReferences(rules, correlations), options);
    const evaluated = outcome.rules
      .filter((meta) => correlations.some((rule) => rule.id === meta.id))
      .map((meta) => meta.id);
    await db.replaceCorrelationHits(evaluated, outcome.hits);
    return { hits: outcome.hits, problems: outcome.problems };
  } finally {
    connection.closeSync();
  }
}

/** The correlations and every rule they refer to, directly or through other correlations. */
function withReferences(rules: readonly SigmaRule[], roots: readonly SigmaRule[]): SigmaRule[] {
  const byReference = new Map<string, SigmaRule>();
  for (const rule of rules) {
    byReference.set(rule.id.toLowerCase(), byReference.get(rule.id.toLowerCase()) ?? rule);
    if (rule.name !== null && !byReference.has(rule.name.toLowerCase())) {
      byReference.set(rule.name.toLowerCase(), rule);
    }
  }
  const kept = new Set<SigmaRule>();
  const visit = (rule: SigmaRule) => {
    if (kept.has(rule)) return;
    kept.add(rule);
    if (rule.kind !== 'correlation') return;
    for (const reference of rule.rules) {
      const target = byReference.get(reference.toLowerCase());
      if (target !== undefined) visit(target);
    }
  };
  for (const rule of roots) visit(rule);
  return rules.filter((rule) => kept.has(rule));
}
