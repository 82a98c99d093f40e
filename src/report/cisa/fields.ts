import type { CaseFields } from '../case-fields.ts';
import type { Deadline } from '../deadlines.ts';
import { VALUE_LIMIT } from './gather.ts';
import type {
  CisaField,
  CisaInputs,
  CisaReport,
  CisaSection,
  FieldSource,
  MissingField,
  ValueCount,
} from './types.ts';

/** Values listed in one field before "and N more". */
const LISTED = 10;

const plural = (count: number, noun: string, nouns = `${noun}s`): string =>
  `${count} ${count === 1 ? noun : nouns}`;

function field(
  id: string,
  label: string,
  key: string | null,
  value: string | null,
  source: FieldSource | null,
): CisaField {
  return { id, label, key, value, source: value === null ? null : source };
}

// A field set in case.json wins; otherwise the value derived from the case database.
function caseOrDerived(
  id: string,
  label: string,
  key: string,
  given: string | null,
  derived: string | null,
): CisaField {
  if (given !== null) return field(id, label, key, given, 'case.json');
  return field(id, label, key, derived, 'case data');
}

function listValues(values: readonly ValueCount[], noun = 'event'): string | null {
  if (values.length === 0) return null;

  const shown = values.slice(0, LISTED).map((v) => `${v.value} (${plural(v.events, noun)})`);
  const more = values.length > LISTED ? `; and ${values.length - LISTED} more` : '';
  return `${shown.join('; ')}${more}`;
}

function organisationSection(fields: CaseFields): CisaSection {
  return {
    id: 'organisation',
    title: 'Organisation and point of contact',
    fields: [
      field('organisation.name', 'Organisation', 'organisation', fields.organisation, 'case.json'),
      field('contact.name', 'Point of contact', 'contact.name', fields.contact.name, 'case.json'),
      field('contact.email', 'Contact email', 'contact.email', fields.contact.email, 'case.json'),
      field('contact.phone', 'Contact phone', 'contact.phone', fields.contact.phone, 'case.json'),
    ],
  };
}

// DoD fields apply unless case.json sets `defence_contractor` to false.
function contractSection(fields: CaseFields): CisaSection {
  const exempt = fields.defence_contractor === false;
  const notApplicable = (id: string, label: string, key: string): CisaField =>
    field(id, label, key, 'not applicable: not a defence contractor', 'not applicable');

  return {
    id: 'contracts',
    title: 'Contract numbers and access level',
    fields: exempt
      ? [
          notApplicable('contracts', 'Contract numbers', 'contracts'),
          notApplicable('access_level', 'Access level', 'access_level'),
        ]
      : [
          field(
            'contracts',
            'Contract numbers',
            'contracts',
            fields.contracts?.join(', ') ?? null,
            'case.json',
          ),
          field('access_level', 'Access level', 'access_level', fields.access_level, 'case.json'),
        ],
  };
}

function narrative(inputs: CisaInputs): string | null {
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

function affectedData(inputs: CisaInputs): string | null {
  if (inputs.affected.length === 0) return null;

  const shown = inputs.affected.slice(0, LISTED).map((r) => {
    const type = r.type === null ? '' : ` [${r.type}]`;
    return `${r.uid}${type}: ${r.operations.join(', ')} (${plural(r.events, 'event')})`;
  });
  const more =
    inputs.affected.length > LISTED ? `; and ${inputs.affected.length - LISTED} more` : '';
  return `Resources read, exposed or changed in collection, exfiltration, credential access or impact: ${shown.join('; ')}${more}`;
}

function descriptionSection(inputs: CisaInputs, fields: CaseFields): CisaSection {
  return {
    id: 'description',
    title: 'Description of the incident and data affected',
    fields: [
      caseOrDerived(
        'description',
        'Description',
        'description',
        fields.description,
        narrative(inputs),
      ),
      caseOrDerived(
        'data_affected',
        'Data affected',
        'data_affected',
        fields.data_affected,
        affectedData(inputs),
      ),
    ],
  };
}

function cdiSection(inputs: CisaInputs, fields: CaseFields): CisaSection {
  if (fields.defence_contractor === false) {
    const value = 'not applicable: not a defence contractor';
    return {
      id: 'cdi',
      title: 'Impact on covered defence information',
      fields: [
        field(
          'cdi_impact',
          'Impact on covered defence information',
          'cdi_impact',
          value,
          'not applicable',
        ),
      ],
    };
  }

  // NOTE: the logs cannot show whether a data store contains covered defence information, so
  // the derived value points at what was touched and asks the organisation to confirm it.
  const derived =
    inputs.affected.length === 0
      ? null
      : `The attacker touched the resources listed under Data affected (${inputs.affected.length}` +
        `${inputs.affected.length >= VALUE_LIMIT ? ' or more' : ''}); confirm whether they hold ` +
        'covered defence information and set cdi_impact.';
  return {
    id: 'cdi',
    title: 'Impact on covered defence information',
    fields: [
      caseOrDerived(
        'cdi_impact',
        'Impact on covered defence information',
        'cdi_impact',
        fields.cdi_impact,
        derived,
      ),
    ],
  };
}

// Detection time: the first analysis run of the case. NOTE: when that run found nothing and a
// later hunt did, the detections came later than this time; `detected_at` overrides it.
function firstAnalysis(inputs: CisaInputs): string | null {
  if (inputs.findings === 0) return null;

  const run = inputs.audit.find(
    (entry) => entry.command === 'investigate' || entry.command === 'hunt',
  );
  return run === undefined ? null : `${run.time} (first ${run.command} run of the case)`;
}

function datesSection(inputs: CisaInputs, fields: CaseFields): CisaSection {
  const onset =
    inputs.first_detected_event === null
      ? null
      : `${inputs.first_detected_event} (first detected event)`;
  return {
    id: 'dates',
    title: 'Dates',
    fields: [
      caseOrDerived('dates.onset', 'Onset', 'onset_at', fields.onset_at, onset),
      caseOrDerived(
        'dates.detection',
        'Detection',
        'detected_at',
        fields.detected_at,
        firstAnalysis(inputs),
      ),
      field('dates.discovery', 'Discovery', 'discovered_at', fields.discovered_at, 'case.json'),
    ],
  };
}

function locationsSection(inputs: CisaInputs): CisaSection {
  return {
    id: 'locations',
    title: 'Locations',
    fields: [
      field('locations.accounts', 'Accounts', null, listValues(inputs.accounts), 'case data'),
      field('locations.regions', 'Regions', null, listValues(inputs.regions), 'case data'),
      field(
        'locations.systems',
        'Systems (services called)',
        null,
        listValues(inputs.services),
        'case data',
      ),
    ],
  };
}

function attackMethod(inputs: CisaInputs): string | null {
  if (inputs.tactics.length === 0) return null;

  return inputs.tactics
    .map((t) => {
      const techniques = t.techniques.length > 0 ? ` (${t.techniques.join(', ')})` : '';
      return `${t.tactic}${techniques}: ${t.titles.join('; ')}`;
    })
    .join('. ');
}

function threatActor(inputs: CisaInputs): string | null {
  const parts = [
    ['source addresses', listValues(inputs.source_ips)],
    ['identities used', listValues(inputs.actors)],
    ['access keys used', listValues(inputs.access_keys)],
    ['user agents', listValues(inputs.user_agents)],
  ].flatMap(([name, value]) => (value === null ? [] : [`${name}: ${value}`]));
  return parts.length === 0 ? null : `Unattributed; observed ${parts.join('. ')}`;
}

function methodSection(inputs: CisaInputs, fields: CaseFields): CisaSection {
  return {
    id: 'method',
    title: 'Attack method and threat actor',
    fields: [
      field(
        'method.attack',
        'Attack method (MITRE ATT&CK)',
        null,
        attackMethod(inputs),
        'case data',
      ),
      caseOrDerived(
        'method.actor',
        'Threat actor',
        'threat_actor',
        fields.threat_actor,
        threatActor(inputs),
      ),
    ],
  };
}

function responseActions(inputs: CisaInputs, fields: CaseFields): string | null {
  const actions = fields.actions.map((a) => (a.time === null ? a.action : `${a.time} ${a.action}`));
  const runs = inputs.audit
    .filter((entry) => entry.command !== 'report' && entry.command !== 'export')
    .map((entry) => `${entry.time} ${entry.command} by ${entry.actor}`);
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

function responseSection(inputs: CisaInputs, fields: CaseFields): CisaSection {
  return {
    id: 'response',
    title: 'Response and recovery actions taken',
    fields: [
      field(
        'response.actions',
        'Actions taken',
        'actions',
        responseActions(inputs, fields),
        fields.actions.length > 0 ? 'case.json' : 'case data',
      ),
    ],
  };
}

function otherInformation(
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

function otherSection(
  inputs: CisaInputs,
  fields: CaseFields,
  deadlines: readonly Deadline[],
): CisaSection {
  return {
    id: 'other',
    title: 'Other information',
    fields: [
      field(
        'other',
        'Other information',
        'other_information',
        otherInformation(inputs, fields, deadlines),
        fields.other_information === null ? 'case data' : 'case.json',
      ),
    ],
  };
}

/** Version details of a CISA report. */
export interface CisaVersion {
  version: number;
  supersedes: CisaReport['supersedes'];
}

/**
 * Fills every field of the CISA / US-CERT incident report from `case.json` and the case
 * database, lists the fields still missing, and marks the report complete only when none is.
 */
export function buildCisaReport(
  inputs: CisaInputs,
  fields: CaseFields,
  deadlines: Deadline[],
  version: CisaVersion,
  now: Date = new Date(),
): CisaReport {
  const sections = [
    organisationSection(fields),
    contractSection(fields),
    descriptionSection(inputs, fields),
    cdiSection(inputs, fields),
    datesSection(inputs, fields),
    locationsSection(inputs),
    methodSection(inputs, fields),
    responseSection(inputs, fields),
    otherSection(inputs, fields, deadlines),
  ];
  const missing: MissingField[] = sections.flatMap((section) =>
    section.fields
      .filter((f) => f.value === null)
      .map((f) => ({ id: f.id, section: section.title, label: f.label, key: f.key })),
  );

  return {
    template: 'cisa',
    version: version.version,
    supersedes: version.supersedes,
    generated_at: now.toISOString(),
    case_id: fields.id,
    case_title: fields.title,
    status: missing.length === 0 ? 'complete' : 'incomplete',
    missing,
    sections,
    deadlines,
  };
}
