/** Sigma rules for tests. */
import type { DetectionRule } from './model.ts';
import { parseRuleText } from './parse.ts';

/** Parses Sigma YAML documents and returns their detection rules, without correlations. */
export function detectionRules(text: string): DetectionRule[] {
  return parseRuleText(text, 'rules.yml').rules.filter(
    (rule): rule is DetectionRule => rule.kind === 'detection',
  );
}
