/**
 * Raw field names for SigmaHQ's Azure and Microsoft 365 rules. SigmaHQ writes Azure rules in the
 * names and casing of one export (mostly the Log Analytics tables, sometimes the diagnostic
 * export), while cloudcase reads every shape of these logs:
 *
 * - Activity Log: diagnostic-settings export (`operationName`, `resultType`, `properties.*`),
 *   `az monitor activity-log list` (`operationName.value`, `status.value`), the SDK's snake_case
 *   shape (`operation_name.value`) and the `AzureActivity` table (`OperationNameValue`).
 * - Entra ID sign-ins and audits: Microsoft Graph (`status.errorCode`, `activityDisplayName`),
 *   diagnostic export (the Graph fields under `properties.`) and the `SigninLogs` / `AuditLogs`
 *   tables (`ResultType`, `OperationName`).
 *
 * Each Sigma field is tried as written, in Graph casing and in Log Analytics casing, then under
 * its known synonyms (see `alternatives`).
 */
import {
  type FieldAlternatives,
  literalSynonyms,
  type ValueSynonyms,
} from './field-alternatives.ts';

// Synonyms by lower-cased Sigma field name, for the values that each shape names differently.
// Each is a raw path as written in one shape.
const ACTIVITY_SYNONYMS: Record<string, string[]> = {
  operationname: ['operationName.value', 'operation_name.value', 'OperationNameValue'],
  resourceprovidervalue: ['resourceProviderName.value', 'resource_provider_name.value'],
  categoryvalue: ['category.value', 'category'],
  resourceid: ['resource_id', '_ResourceId'],
  status: ['status.value', 'ActivityStatusValue', 'resultType'],
};
ACTIVITY_SYNONYMS.operationnamevalue = ['operationName', ...ACTIVITY_SYNONYMS.operationname!];

const SIGN_IN_SYNONYMS: Record<string, string[]> = {
  resulttype: ['status.errorCode'],
  resultdescription: ['status.failureReason'],
  username: ['userPrincipalName', 'UserPrincipalName'],
  // SigninLogs' Status holds the error code, but the diagnostic export writes the outcome as
  // `resultSignature` (`SUCCESS` in Panther's Azure.Audit samples), which `Status: Success` matches.
  status: ['resultSignature'],
};

const AUDIT_SYNONYMS: Record<string, string[]> = {
  operationname: ['activityDisplayName'],
  activitydisplayname: ['operationName', 'OperationName'],
  status: ['result', 'Result'],
  // An older Sentinel export named the activity `properties.message`.
  message: ['activityDisplayName', 'OperationName', 'operationName'],
  target: ['targetResources', 'TargetResources'],
};

// Keys whose Graph casing no simple case change of a Sigma spelling gives (`DeviceDetail.trusttype`).
const GRAPH_KEYS = [
  'trustType',
  'isCompliant',
  'isManaged',
  'deviceId',
  'errorCode',
  'failureReason',
  'additionalDetails',
  'additionalInfo',
  'modifiedProperties',
  'newValue',
  'oldValue',
  'displayName',
  'isAdminConsent',
  'userPrincipalName',
  'targetResources',
  'loggedByService',
  'activityType',
];
const GRAPH_CASE = new Map(GRAPH_KEYS.map((key) => [key.toLowerCase(), key]));

/** Fields of `azure/activitylogs` rules, whose shapes keep the names at the top level. */
export const azureActivityFields: FieldAlternatives = (field) =>
  alternatives(field, ACTIVITY_SYNONYMS, false);

/** Fields of `azure/signinlogs` rules; the diagnostic export nests them under `properties`. */
export const azureSignInFields: FieldAlternatives = (field) =>
  alternatives(field, SIGN_IN_SYNONYMS, true);

/** Fields of `azure/auditlogs` rules; the diagnostic export nests them under `properties`. */
export const azureAuditFields: FieldAlternatives = (field) =>
  alternatives(field, AUDIT_SYNONYMS, true);

/**
 * Fields of the `m365` alert rules (`threat_management`, `threat_detection`, `exchange`), which
 * name the Microsoft 365 unified audit log's `Workload`, `Operation` (or an alert's `Name`) and
 * `ResultStatus` the way CloudTrail names its fields. The `OfficeActivity` table writes
 * `OfficeWorkload` for `Workload`. Their values are translated by `m365AlertValues`.
 */
export const m365AlertFields: FieldAlternatives = (field) => {
  const synonyms: Record<string, string[]> = {
    eventsource: ['Workload', 'OfficeWorkload'],
    eventname: ['Operation', 'Name'],
    status: ['ResultStatus', 'Status'],
  };
  return synonyms[field.toLowerCase()] ?? [field];
};

// The spellings of `ResultStatus` that the unified audit log uses for success and failure:
// Exchange admin records write `True` and `False`, most other workloads `Succeeded` and `Failed`.
const RESULT_STATUS_SYNONYMS: Record<string, string[]> = {
  success: ['Succeeded', 'True', 'PartiallySucceeded'],
  succeeded: ['Success', 'True', 'PartiallySucceeded'],
  failure: ['Failed', 'False'],
  failed: ['Failure', 'False'],
};

/**
 * Values of the `m365` alert rules' `status` (CloudTrail's `success`/`failure`) in the raw
 * `ResultStatus` and `Status` fields.
 */
export const m365AlertValues: ValueSynonyms = literalSynonyms(
  ['ResultStatus', 'Status'],
  RESULT_STATUS_SYNONYMS,
);

/**
 * Lists the rule's name as written, in Graph casing (lowerCamelCase, known keys in their own
 * casing), in Log Analytics casing (the first key in UpperCamelCase, nested keys in Graph
 * casing), then its synonyms. With `nested`, the Graph-cased names are also tried under
 * `properties.`, where the diagnostic export puts them.
 */
function alternatives(
  field: string,
  synonyms: Record<string, string[]>,
  nested: boolean,
): string[] {
  const own = field.startsWith('properties.') ? field.slice('properties.'.length) : field;
  const graph = own.split('.').map(graphCase);
  const table = [upperFirst(graph[0] ?? ''), ...graph.slice(1)];
  const names = [field, graph.join('.'), table.join('.')];
  for (const synonym of synonyms[own.toLowerCase()] ?? []) names.push(synonym);
  if (nested) {
    const graphNames = names.filter(
      (name) => /^[a-z]/.test(name) && !name.startsWith('properties.'),
    );
    for (const name of graphNames) names.push(`properties.${name}`);
  }
  return [...new Set(names)];
}

function graphCase(key: string): string {
  return GRAPH_CASE.get(key.toLowerCase()) ?? key.charAt(0).toLowerCase() + key.slice(1);
}

function upperFirst(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}
