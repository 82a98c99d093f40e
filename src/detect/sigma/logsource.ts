/**
 * Routing of Sigma `logsource` sections to cloudcase source ids (`Event.source`). A rule is
 * evaluated only on events of the source its logsource maps to; a logsource with no entry here
 * is routed nowhere rather than guessed.
 */
import type { IssueSink } from './issues.ts';
import type { LogSource } from './model.ts';

/** One routing entry: a Sigma logsource and the source id whose events it describes. */
export interface LogSourceRoute {
  /** Values that must equal the rule's; a `null` here means the rule must not set that key. */
  product: string | null;
  service: string | null;
  category: string | null;
  /** cloudcase source id, such as `aws.cloudtrail`. */
  source: string;
  /**
   * Maps a Sigma field name to the raw record's field name, for rules that use names the raw
   * log does not. Fields are matched as written when absent.
   */
  mapField?: (field: string) => string;
}

/**
 * The routing table. To route a new source, add its entry here, such as product `gcp` with
 * service `gcp.audit` to `gcp.audit`, product `kubernetes` with service `audit` to `k8s.audit`,
 * product `azure` with service `activitylogs` or `signinlogs`, product `okta`, `github` or
 * `m365`.
 */
export const LOGSOURCE_ROUTES: readonly LogSourceRoute[] = [
  // CloudTrail records carry the field names SigmaHQ's AWS rules use, so no field map is needed.
  { product: 'aws', service: 'cloudtrail', category: null, source: 'aws.cloudtrail' },
];

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
