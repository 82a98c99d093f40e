/**
 * Explanations of detections that a hunt stored without one. A hunt explains only each rule's
 * earliest matches and keeps the model of every single-event rule it ran (`rule_models`). The
 * workbench explains any other match from that model when an analyst opens its event.
 */
import type { DetectionRule } from '../detect/sigma/model.ts';
import { RuleSet } from '../detect/sigma/rule-set.ts';
import { storedExplanation } from '../detect/sigma/stored-explanation.ts';
import type { DetectionExplanation } from '../detect/types.ts';
import { parseJsonLossless } from '../sources/json-numbers.ts';
import type { CaseReader } from './case-reader.ts';

/**
 * Explains why the single-event rule `ruleId` matched the record `raw` (JSON text), with the
 * model a hunt stored for it. Returns null when the case keeps no model of the rule (cases from
 * before models were kept, rules of `investigate`, which stores every explanation), or when the
 * model does not match the record.
 */
export async function explainWithStoredModel(
  reader: CaseReader,
  ruleId: string,
  raw: string,
): Promise<DetectionExplanation | null> {
  // A case opened read-only keeps the tables it was created with.
  const [table] = await reader.all(
    "SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'rule_models'",
  );
  if (table === undefined) return null;

  const [stored] = await reader.all('SELECT model, placeholders FROM rule_models WHERE id = $id', {
    id: ruleId,
  });
  if (stored === undefined) return null;

  const rule = JSON.parse(String(stored.model)) as DetectionRule;
  if (rule.kind !== 'detection' || rule.id !== ruleId) return null;
  const placeholders = JSON.parse(String(stored.placeholders)) as Record<string, string[]>;
  const rules = new RuleSet([rule], { placeholders });
  const record = parseJsonLossless(raw);
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return null;

  return storedExplanation(rules.explainRecord(ruleId, record as Record<string, unknown>));
}
