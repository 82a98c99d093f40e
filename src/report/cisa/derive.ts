/**
 * The CISA report's values derived from the case database: narratives and lists drawn from
 * detections, the audit trail and the evidence counts. Each but `otherInformation` returns
 * `null` when the case has nothing to fill its field with.
 */
import type { CaseFields } from '../case-fields.ts';
import type { Deadline } from '../deadlines.ts';
import type { AuditEntry, CisaInputs, ValueCount } from './types.ts';

/** Values listed in one field before "and N more". */
const LISTED = 10;

const plural = (count: number, noun: string, nouns = `${noun}s`): string =>
  `${count} ${count === 1 ? noun : nouns}`;

/** Lists the first values with their event counts, and counts the rest. */
export function listValues(values: readonly ValueCount[], noun = 'event'): string | null {
  if (values.length === 0) return null;

  const shown = values.slice(0, LISTED).map((v) => `${v.value} (${plural(v.events, noun)})`);
  const more = values.length > LISTED ? `; and ${values.length - LISTED} more` : '';
  return `${shown.join('; ')}${more}`;
}

/** Summarizes the findings, their time span, tactics and identities in two sentences. */
export function narrative(inputs: CisaInputs): string | null {
  if (inputs.findings === 0 || inputs.first_detected_event === null) return null;

  const severities = Object.entries(inputs.severity)
    .map(([level, count]) => `${count} ${level}`)
    .join(', ');
  const tactics = inputs.tactics.map((t) => t.tactic).join(', ');
  const actors = inputs.actors
    .slice(0, 3)
    .map((a) => a.value)
    .join(', ');
  return (
    `${plural(inputs.findings, 'finding')} (${severities}) over ${plural(inputs.events_total, 'logged event')}, ` +
    `from ${inputs.first_detected_event} to ${inputs.last_detected_event}. ` +
    `ATT&CK tactics observed: ${tactics || 'none recorded'}. ` +
    `Identities involved: ${actors || 'not recorded in the logs'}.`
  );
}

/** Lists the resources touched by detected events of data-related tactics. */
export function affectedData(inputs: CisaInputs): string | null {
  if (inputs.affected.length === 0) return null;

  const shown = inputs.affected.slice(0, LISTED).map((r) => {
    const type = r.type === null ? '' : ` [${r.type}]`;
    return `${r.uid}${type}: ${r.operations.join(', ')} (${plural(r.events, 'event')})`;
  });
  const more =
    inputs.affected.length > LISTED ? `; and ${inputs.affected.length - LISTED} more` : '';
  return `Resources read, exposed or changed in collection, exfiltration, credential access or impact: ${shown.join('; ')}${more}`;
}

/**
 * Commands that analysed the case or preserved it, which the report lists as response
 * actions. Commands that only print (`case show`, `timeline`, `case audit`) or write outputs
 * (`report`, `export`) are left out.
 */
const RESPONSE_COMMANDS: ReadonlySet<string> = new Set([
  'investigate',
  'hunt',
  'scope',
  'entities',
  'gaps',
  'verify',
  'case hold',
  'case close',
]);

/** Exit codes of a command that completed: every record stored, or some rejected. */
const COMPLETED_EXIT_CODES: ReadonlySet<number> = new Set([0, 3]);

// The exit code of an audit.jsonl entry, or null for an entry of the database's audit table,
// which investigate and hunt write only once they have completed.
function exitCodeOf(entry: AuditEntry): number | null {
  try {
    const code = (JSON.parse(entry.details) as { exit_code?: unknown }).exit_code;
    return typeof code === 'number' ? code : null;
  } catch {
    return null;
  }
}

/** Window in which a database entry of investigate or hunt repeats its audit.jsonl entry. */
const SAME_RUN_MS = 3_600_000;

/**
 * Lists the completed runs of the commands that analysed or preserved the case, oldest first.
 * Failed runs are left out. A database entry is left out when an audit.jsonl entry of the
 * same command and analyst started up to an hour before it, because both record one run.
 */
export function completedRuns(inputs: CisaInputs): AuditEntry[] {
  const relevant = inputs.audit.filter((entry) => RESPONSE_COMMANDS.has(entry.command));
  const logged = relevant.filter((entry) => exitCodeOf(entry) !== null);

  return relevant.filter((entry) => {
    const code = exitCodeOf(entry);
    if (code !== null) return COMPLETED_EXIT_CODES.has(code);

    const time = Date.parse(entry.time);
    return !logged.some((run) => {
      const started = Date.parse(run.time);
      return run.command === entry.command && started <= time && time - started < SAME_RUN_MS;
    });
  });
}

/** Returns the first completed investigate or hunt run, whose time is the detection time. */
export function firstAnalysisRun(inputs: CisaInputs): AuditEntry | null {
  if (inputs.findings === 0) return null;

  const runs = completedRuns(inputs);
  return runs.find((entry) => entry.command === 'investigate' || entry.command === 'hunt') ?? null;
}

/**
 * Returns the time of the first analysis run of the case, as its detection time. NOTE: when
 * that run found nothing and a later hunt did, the detections came later; `detected_at`
 * overrides this value.
 */
export function firstAnalysis(inputs: CisaInputs): string | null {
  const run = firstAnalysisRun(inputs);
  return run === null ? null : `${run.time} (first ${run.command} run of the case)`;
}

/**
 * Lists the contradictions between the report's dates for the responder to resolve before
 * filing: a detection after the discovery, or an onset after the detection. The detection is
 * `detected_at`, or else the first analysis run; the onset is `onset_at`, or else the first
 * detected event.
 */
export function dateWarnings(inputs: CisaInputs, fields: CaseFields): string[] {
  const run = firstAnalysisRun(inputs);
  const detection =
    fields.detected_at !== null
      ? { time: fields.detected_at, origin: 'detected_at in case.json' }
      : run === null
        ? null
        : { time: run.time, origin: `the first ${run.command} run of the case` };
  const onset =
    fields.onset_at !== null
      ? { time: fields.onset_at, origin: 'onset_at in case.json' }
      : inputs.first_detected_event === null
        ? null
        : { time: inputs.first_detected_event, origin: 'the first detected event' };
  const later = (a: string, b: string) => Date.parse(a) > Date.parse(b);

  const warnings: string[] = [];
  if (detection !== null && fields.discovered_at !== null) {
    if (later(detection.time, fields.discovered_at)) {
      warnings.push(
        `The detection date ${detection.time} (${detection.origin}) is later than the ` +
          `discovery date ${fields.discovered_at}. Set detected_at in case.json to when the ` +
          'incident was first detected, or correct discovered_at.',
      );
    }
  }
  if (onset !== null && detection !== null && later(onset.time, detection.time)) {
    warnings.push(
      `The onset date ${onset.time} (${onset.origin}) is later than the detection date ` +
        `${detection.time} (${detection.origin}). Correct onset_at or detected_at in case.json.`,
    );
  }

  return warnings;
}

/** Lists each ATT&CK tactic with its techniques and the titles of the rules that saw it. */
export function attackMethod(inputs: CisaInputs): string | null {
  if (inputs.tactics.length === 0) return null;

  return inputs.tactics
    .map((t) => {
      const techniques = t.techniques.length > 0 ? ` (${t.techniques.join(', ')})` : '';
      return `${t.tactic}${techniques}: ${t.titles.join('; ')}`;
    })
    .join('. ');
}

/** Describes the attacker by the addresses, identities, keys and user agents observed. */
export function threatActor(inputs: CisaInputs): string | null {
  const parts = [
    ['source addresses', listValues(inputs.source_ips)],
    ['identities used', listValues(inputs.actors)],
    ['access keys used', listValues(inputs.access_keys)],
    ['user agents', listValues(inputs.user_agents)],
  ].flatMap(([name, value]) => (value === null ? [] : [`${name}: ${value}`]));
  return parts.length === 0 ? null : `Unattributed; observed ${parts.join('. ')}`;
}

/**
 * Lists the recorded actions, evidence preservation, the phase, and the completed runs of the
 * commands that analysed or preserved the case (`completedRuns`).
 */
export function responseActions(inputs: CisaInputs, fields: CaseFields): string | null {
  const actions = fields.actions.map((a) => (a.time === null ? a.action : `${a.time} ${a.action}`));
  const runs = completedRuns(inputs).map(
    (entry) => `${entry.time} ${entry.command} by ${entry.actor}`,
  );
  if (inputs.evidence_items > 0) {
    actions.push(
      `Preserved ${plural(inputs.evidence_items, 'evidence item')} with SHA-256 hashes and ` +
        plural(inputs.custody_entries, 'custody ledger entry', 'custody ledger entries'),
    );
  }
  if (fields.phase !== null) actions.push(`Current phase (NIST SP 800-61): ${fields.phase}`);
  actions.push(...runs.map((run) => `Analysis: ${run}`));

  return actions.length === 0 ? null : actions.join('. ');
}

/** Describes log gaps, unreadable records and deadlines, after `other_information`. */
export function otherInformation(
  inputs: CisaInputs,
  fields: CaseFields,
  deadlines: readonly Deadline[],
): string {
  const parts: string[] = [];
  if (fields.other_information !== null) parts.push(fields.other_information);
  parts.push(
    inputs.missing_categories.length === 0
      ? 'The case holds logs of every category.'
      : `The case holds no ${inputs.missing_categories.join(', ')} logs, so activity of those kinds is not visible.`,
  );
  if (inputs.rejected_total > 0)
    parts.push(`${plural(inputs.rejected_total, 'log record')} could not be read.`);
  for (const clock of deadlines) parts.push(`Deadline: ${clock.label} due ${clock.due_at}.`);

  return parts.join(' ');
}
