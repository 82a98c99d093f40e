/**
 * Autonomous system lookup from the `@ip-location-db/asn` CSV files (RouteViews, DB-IP and NRO
 * data). Each line is an inclusive numeric range, its AS number and the AS organisation:
 * `start,end,asn,"organisation"`. The files are sorted by range start and the ranges do not
 * overlap, so a lookup is a binary search. Each IP version's file is read on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ParsedIp } from './ip-address.ts';

/** An autonomous system: its number and the organisation that holds it. */
export interface AsnRecord {
  asn: number;
  org: string;
}

/** Ranges of one IP version, sorted by start, with an index into the AS records per range. */
interface RangeIndex<T> {
  starts: ArrayLike<T>;
  ends: ArrayLike<T>;
  records: Uint32Array;
}

/** The AS ranges of both IP versions. */
export class AsnTable {
  readonly #readV4: () => Buffer;
  readonly #readV6: () => Buffer;
  #v4: RangeIndex<number> | null = null;
  #v6: RangeIndex<bigint> | null = null;
  readonly #records: AsnRecord[] = [];
  readonly #byAsn = new Map<number, number>();

  /** Takes functions that return the bytes of the IPv4 and IPv6 `-num` CSV files. */
  constructor(readV4: () => Buffer, readV6: () => Buffer) {
    this.#readV4 = readV4;
    this.#readV6 = readV6;
  }

  /** Reads the files shipped in the `@ip-location-db/asn` package. */
  static load(): AsnTable {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@ip-location-db/asn/package.json'));
    const read = (name: string) => () => readFileSync(join(dir, name));

    return new AsnTable(read('asn-ipv4-num.csv'), read('asn-ipv6-num.csv'));
  }

  /** Returns the AS announcing the address, or `null` when no range holds it. */
  lookup(ip: ParsedIp): AsnRecord | null {
    let index: number | null;
    if (ip.version === 4) {
      this.#v4 ??= this.#read(this.#readV4(), (bytes, from, to) => decimal(bytes, from, to));
      index = find(this.#v4, ip.value);
    } else {
      this.#v6 ??= this.#read(this.#readV6(), (bytes, from, to) =>
        BigInt(bytes.toString('latin1', from, to)),
      );
      index = find(this.#v6, ip.value);
    }
    return index === null ? null : (this.#records[index] ?? null);
  }

  // Works on bytes rather than a decoded string: the IPv4 file has about 400,000 lines, and
  // slicing each into strings took most of a second. An AS keeps the organisation of its
  // first line, so only one organisation per AS is decoded.
  #read<T extends number | bigint>(
    bytes: Buffer,
    toValue: (bytes: Buffer, from: number, to: number) => T,
  ): RangeIndex<T> {
    const starts: T[] = [];
    const ends: T[] = [];
    const records: number[] = [];
    let position = 0;
    while (position < bytes.length) {
      let lineEnd = bytes.indexOf(NEWLINE, position);
      if (lineEnd === -1) lineEnd = bytes.length;
      const first = bytes.indexOf(COMMA, position);
      const second = first === -1 ? -1 : bytes.indexOf(COMMA, first + 1);
      const third = second === -1 ? -1 : bytes.indexOf(COMMA, second + 1);
      if (third !== -1 && third < lineEnd) {
        starts.push(toValue(bytes, position, first));
        ends.push(toValue(bytes, first + 1, second));
        records.push(this.#record(decimal(bytes, second + 1, third), bytes, third + 1, lineEnd));
      }
      position = lineEnd + 1;
    }

    return { starts, ends, records: Uint32Array.from(records) };
  }

  #record(asn: number, bytes: Buffer, from: number, to: number): number {
    let index = this.#byAsn.get(asn);
    if (index === undefined) {
      index = this.#records.push({ asn, org: organisation(bytes.toString('utf8', from, to)) }) - 1;
      this.#byAsn.set(asn, index);
    }
    return index;
  }
}

const NEWLINE = 0x0a;
const COMMA = 0x2c;

/** Reads ASCII decimal digits; other bytes, such as a carriage return, are skipped. */
function decimal(bytes: Buffer, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit >= 0 && digit <= 9) value = value * 10 + digit;
  }
  return value;
}

/** Unquotes the organisation field, which may hold commas and doubled quotes when quoted. */
export function organisation(field: string): string {
  const text = field.endsWith('\r') ? field.slice(0, -1) : field;
  const quoted = text.length >= 2 && text.startsWith('"') && text.endsWith('"');
  return quoted ? text.slice(1, -1).replaceAll('""', '"') : text;
}

function find<T extends number | bigint>(index: RangeIndex<T>, value: T): number | null {
  let low = 0;
  let high = index.starts.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (index.starts[middle]! > value) high = middle - 1;
    else if (index.ends[middle]! < value) low = middle + 1;
    else return index.records[middle]!;
  }
  return null;
}
