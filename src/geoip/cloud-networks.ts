/**
 * Autonomous systems of the large cloud providers. Calls from these networks come from
 * workloads and provider services as often as from people, and the provider places an address
 * where its region is, so such an address says nothing about where a person was: it is never
 * called foreign and never used for travel speed.
 *
 * NOTE: hosting providers that sell small servers (DigitalOcean, OVH, Linode and others) are
 * left out on purpose, because attackers rent them; their addresses are treated as any other.
 */
const CLOUD_ASNS: ReadonlyMap<number, string> = new Map([
  [16509, 'aws'],
  [14618, 'aws'],
  [8987, 'aws'],
  [7224, 'aws'],
  [15169, 'gcp'],
  [396982, 'gcp'],
  [36040, 'gcp'],
  [19527, 'gcp'],
  [8075, 'azure'],
  [8068, 'azure'],
  [8069, 'azure'],
  [12076, 'azure'],
]);

/** Returns the cloud provider (`aws`, `gcp`, `azure`) that holds an AS number, or `null`. */
export function cloudProviderOfAsn(asn: number | null): string | null {
  return asn === null ? null : (CLOUD_ASNS.get(asn) ?? null);
}
