/** Lookup structures that find the indicators a value matches in constant or near time. */
import { canonicalIp, ipToBigInt, parseCidr } from './classify.ts';
import type { Indicator, IndicatorType } from './types.ts';

/** Indicators by type and value, with networks grouped by prefix length. */
export class IndicatorIndex {
  readonly #exact = new Map<string, Indicator[]>();
  // Per IP version and prefix length: masked network → indicators.
  readonly #networks = new Map<string, Map<bigint, Indicator[]>>();
  readonly #types = new Set<IndicatorType>();

  constructor(indicators: readonly Indicator[]) {
    for (const indicator of indicators) {
      this.#types.add(indicator.type);
      if (indicator.type === 'cidr') this.#addNetwork(indicator);
      else push(this.#exact, `${indicator.type}\0${indicator.value}`, indicator);
    }
  }

  /** Tells whether any indicator has one of `types`. */
  has(...types: IndicatorType[]): boolean {
    return types.some((type) => this.#types.has(type));
  }

  /** Indicators an IP address matches: the address itself and every network holding it. */
  ip(address: string): Indicator[] {
    const found = [...(this.#exact.get(`ip\0${canonicalIp(address)}`) ?? [])];
    if (this.#networks.size === 0) return found;
    const parsed = ipToBigInt(address);
    if (parsed === null) return found;

    const bits = parsed.version === 4 ? 32 : 128;
    for (const [key, networks] of this.#networks) {
      const [version, prefixText] = key.split('/');
      if (Number(version) !== parsed.version) continue;
      const masked = mask(parsed.value, Number(prefixText), bits);
      found.push(...(networks.get(masked) ?? []));
    }
    return found;
  }

  /** Indicators a domain matches: the domain itself and each parent domain. */
  domain(name: string): Indicator[] {
    const labels = name.toLowerCase().replace(/\.$/, '').split('.');
    const found: Indicator[] = [];
    for (let i = 0; i < labels.length - 1; i++) {
      found.push(...(this.#exact.get(`domain\0${labels.slice(i).join('.')}`) ?? []));
    }
    return found;
  }

  /** Indicators of `type` whose value is exactly `value`. */
  exact(type: IndicatorType, value: string): Indicator[] {
    return this.#exact.get(`${type}\0${value}`) ?? [];
  }

  #addNetwork(indicator: Indicator): void {
    const cidr = parseCidr(indicator.value);
    const parsed = cidr && ipToBigInt(cidr.address);
    if (!cidr || !parsed) return;
    const key = `${cidr.version}/${cidr.prefix}`;
    const networks = this.#networks.get(key) ?? new Map<bigint, Indicator[]>();
    push(networks, mask(parsed.value, cidr.prefix, cidr.version === 4 ? 32 : 128), indicator);
    this.#networks.set(key, networks);
  }
}

function mask(value: bigint, prefix: number, bits: number): bigint {
  const host = BigInt(bits - prefix);
  return (value >> host) << host;
}

function push<K>(map: Map<K, Indicator[]>, key: K, indicator: Indicator): void {
  const list = map.get(key);
  if (list) list.push(indicator);
  else map.set(key, [indicator]);
}
