/**
 * Routing of Sigma `logsource` sections to cloudcase source ids (`Event.source`). A rule is
 * evaluated only on events of the source its logsource maps to; a logsource with no entry here
 * is routed nowhere rather than guessed.
 */
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
