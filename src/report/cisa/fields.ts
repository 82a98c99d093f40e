import type { CaseFields } from '../case-fields.ts';
import type { Deadline } from '../deadlines.ts';
import {
  affectedData,
  attackMethod,
  dateWarnings,
  firstAnalysis,
  listValues,
  narrative,
  otherInformation,
  responseActions,
  threatActor,
} from './derive.ts';
import { VALUE_LIMIT } from './gather.ts';
import type {
  CisaField,
  CisaInputs,
  CisaReport,
  CisaSection,
  FieldSource,
  MissingField,
} from './types.ts';

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
    warnings: dateWarnings(inputs, fields),
    sections,
    deadlines,
    audit_trail: inputs.audit,
    audit_total: inputs.audit_total,
  };
}
