/**
 * Routing of Sigma `logsource` sections to cloudcase source ids (`Event.source`). A rule is
 * evaluated only on events of the sources its logsource maps to; a logsource with no entry here
 * is routed nowhere rather than guessed.
 */
import {
  flowFirewallFields,
  flowFirewallValues,
  resolverDnsFields,
  resolverDnsValues,
} from './aws-fields.ts';
import {
  azureActivityFields,
  azureAuditFields,
  azureSignInFields,
  m365AlertFields,
  m365AlertValues,
} from './azure-fields.ts';
import {
  expandFieldAlternatives,
  type FieldAlternatives,
  type ValueSynonyms,
} from './field-alternatives.ts';
import type { IssueSink } from './issues.ts';
import type { DetectionRule, LogSource } from './model.ts';

/** One routing entry: a Sigma logsource and the source id whose events it describes. */
export interface LogSourceRoute {
  /** Values that must equal the rule's; a `null` here means the rule must not set that key. */
  product: string | null;
  service: string | null;
  category: string | null;
  /** cloudcase source id, such as `aws.cloudtrail`. */
  source: string;
  /**
   * Other source ids whose raw records also carry this logsource's fields, so its rules run on
   * their events too, with the same field map.
   */
  alsoSources?: readonly string[];
  /**
   * Maps a Sigma field name to the raw record's field name, for rules that use names the raw
   * log does not. Fields are matched as written when absent.
   */
  mapField?: (field: string) => string;
  /**
   * Gives several raw field names for a Sigma field, for logs that come in several shapes. The
   * rule is rewritten over them (see `field-alternatives.ts`) before it is compiled.
   */
  fieldAlternatives?: FieldAlternatives;
  /** Other spellings of a rule's values in the raw fields that `fieldAlternatives` names. */
  valueSynonyms?: ValueSynonyms;
}

/**
 * The routing table. To route a new source, add its entry here.
 */
export const LOGSOURCE_ROUTES: readonly LogSourceRoute[] = [
  // CloudTrail records carry the field names SigmaHQ's AWS rules use, so no field map is needed.
  { product: 'aws', service: 'cloudtrail', category: null, source: 'aws.cloudtrail' },
  // Generic network rules, in the field names of the Sigma taxonomy (see aws-fields.ts).
  {
    product: null,
    service: null,
    category: 'firewall',
    source: 'aws.vpcflow',
    fieldAlternatives: flowFirewallFields,
    valueSynonyms: flowFirewallValues,
  },
  {
    product: null,
    service: null,
    category: 'dns',
    source: 'aws.route53resolver',
    fieldAlternatives: resolverDnsFields,
    valueSynonyms: resolverDnsValues,
  },
  // Kubernetes audit rules name the audit event's own fields (`verb`, `objectRef.resource`).
  // SigmaHQ writes them with and without `category: application`.
  { product: 'kubernetes', service: 'audit', category: null, source: 'k8s.audit' },
  { product: 'kubernetes', service: 'audit', category: 'application', source: 'k8s.audit' },
  // GKE's Kubernetes audit entries become `k8s.audit` events whose raw record is still the
  // Cloud Audit Logs entry, so GCP audit rules on `io.k8s.…` methods run on them too. Other
  // Kubernetes audit events have no `protoPayload`, which these rules' fields all read.
  {
    product: 'gcp',
    service: 'gcp.audit',
    category: null,
    source: 'gcp.audit',
    alsoSources: ['k8s.audit'],
    mapField: gcpAuditField,
  },
  // SigmaHQ's Azure rules name fields the way one export does; see azure-fields.ts.
  {
    product: 'azure',
    service: 'activitylogs',
    category: null,
    source: 'azure.activity',
    fieldAlternatives: azureActivityFields,
  },
  {
    product: 'azure',
    service: 'signinlogs',
    category: null,
    source: 'azure.signin',
    fieldAlternatives: azureSignInFields,
  },
  {
    product: 'azure',
    service: 'auditlogs',
    category: null,
    source: 'azure.audit',
    fieldAlternatives: azureAuditFields,
  },
  { product: 'm365', service: 'audit', category: null, source: 'm365.audit' },
  // Alert and Exchange rules name unified audit log fields the CloudTrail way (`eventName`).
  ...['threat_management', 'threat_detection', 'exchange'].map((service) => ({
    product: 'm365',
    service,
    category: null,
    source: 'm365.audit',
    fieldAlternatives: m365AlertFields,
    valueSynonyms: m365AlertValues,
  })),
  { product: 'okta', service: 'okta', category: null, source: 'okta.system' },
  { product: 'github', service: 'audit', category: null, source: 'github.audit' },
  // Linux auth and sshd rules search the message text with keywords.
  { product: 'linux', service: 'auth', category: null, source: 'host.syslog' },
  { product: 'linux', service: 'sshd', category: null, source: 'host.syslog' },
  { product: 'linux', service: 'sudo', category: null, source: 'host.syslog' },
  { product: 'linux', service: 'syslog', category: null, source: 'host.syslog' },
  // Linux auditd rules name auditd's own fields (`type`, `exe`, `key`, `a0`).
  { product: 'linux', service: 'auditd', category: null, source: 'host.auditd' },
];

/**
 * GCP audit rules use Elastic's field names (`gcp.audit.method_name`) or a shipper's `data.`
 * prefix (`data.protoPayload.methodName`); the raw `LogEntry` has `protoPayload.methodName`.
 * Each snake_case segment after `gcp.audit.` becomes the camelCase key of `protoPayload`.
 */
export function gcpAuditField(field: string): string {
  if (field.startsWith('gcp.audit.')) {
    const segments = field.slice('gcp.audit.'.length).split('.');
    const keys = segments.map((segment) =>
      segment.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase()),
    );
    return ['protoPayload', ...keys].join('.');
  }
  if (field.startsWith('data.protoPayload.')) return field.slice('data.'.length);
  return field;
}

/** Returns every source id a route sends its rules to, its own `source` first. */
export function routeSources(route: LogSourceRoute): string[] {
  return [route.source, ...(route.alsoSources ?? [])];
}

/** Returns the rule as its route compiles it: rewritten over the route's field alternatives. */
export function routedRule(rule: DetectionRule, route: LogSourceRoute): DetectionRule {
  if (route.fieldAlternatives === undefined) return rule;
  return expandFieldAlternatives(rule, route.fieldAlternatives, route.valueSynonyms);
}

/** Finds the route of a rule's logsource, comparing case-insensitively; null when none. */
export function routeLogSource(
  logsource: LogSource,
  routes: readonly LogSourceRoute[] = LOGSOURCE_ROUTES,
): LogSourceRoute | null {
  const same = (a: string | null, b: string | null) => (a?.toLowerCase() ?? null) === b;
  const route = routes.find(
    (entry) =>
      same(logsource.product, entry.product) &&
      same(logsource.service, entry.service) &&
      same(logsource.category, entry.category),
  );
  return route ?? null;
}

/** Parses the `logsource` section of a rule or filter: at least one of its three keys. */
export function parseLogSource(value: unknown, sink: IssueSink): LogSource | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    sink.error('missing_logsource', ['logsource'], 'The rule needs a "logsource" map.');
    return null;
  }

  const map = value as Record<string, unknown>;
  const pick = (key: string) => (typeof map[key] === 'string' ? (map[key] as string) : null);
  const logsource = {
    product: pick('product'),
    service: pick('service'),
    category: pick('category'),
  };
  if (logsource.product === null && logsource.service === null && logsource.category === null) {
    sink.error(
      'missing_logsource',
      ['logsource'],
      '"logsource" needs at least one of product, service or category.',
    );
    return null;
  }
  return logsource;
}
