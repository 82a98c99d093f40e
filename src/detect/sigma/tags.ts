/** ATT&CK tactics and techniques from Sigma tags (Sigma tags appendix, `attack` namespace). */

/** Technique ids (`attack.t1078.004` → `T1078.004`) and tactic names of a rule's tags. */
export function attackFromTags(tags: readonly string[]): {
  tactics: string[];
  techniques: string[];
} {
  const tactics: string[] = [];
  const techniques: string[] = [];

  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (!lower.startsWith('attack.')) continue;

    const value = lower.slice('attack.'.length);
    if (/^t\d{4}(\.\d{3})?$/.test(value)) pushOnce(techniques, value.toUpperCase());
    // Groups (g0016), software (s0002) and data sources are not tactics.
    else if (/^[gs]\d{4}$/.test(value) || /^ds\d{4}$/.test(value)) continue;
    else if (/^[a-z][a-z-]*$/.test(value)) pushOnce(tactics, value);
  }

  return { tactics, techniques };
}

function pushOnce(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}
