/**
 * Building blocks of the benchmark's log generators: a clock that moves forward by random
 * gaps, skewed pools of addresses and names, and the output of a generator as a stream.
 */
import { Readable } from 'node:stream';
import { Random } from '../../src/demo/random.ts';

export { Random };

/** A log generator of one format in `FORMATS`. */
export interface FormatGenerator {
  /** Id of the format the generated text is, such as `aws.vpcflow`. */
  format: string;
  /** File name a responder would meet for this text; sniffing and some formats read it. */
  fileName: string;
  /**
   * Yields the text of a file of `count` records in time order, one or a few records per
   * piece, so that no more than one record is held at a time.
   */
  pieces(count: number, seed: number): Generator<string>;
}

/** First day of every generated log, 2024-05-13T00:00:00Z, in epoch milliseconds. */
export const START_MS = Date.UTC(2024, 4, 13);

/** A clock that moves forward by a random gap of 0 to twice `meanGapMs` at each tick. */
export class Clock {
  #ms: number;
  readonly #random: Random;
  readonly #maxGap: number;

  constructor(random: Random, meanGapMs: number, startMs = START_MS) {
    this.#random = random;
    this.#ms = startMs;
    this.#maxGap = 2 * meanGapMs;
  }

  /** Advances the clock and returns the new time in epoch milliseconds. */
  tick(): number {
    this.#ms += this.#random.int(0, this.#maxGap);
    return this.#ms;
  }
}

/** Picks an index in [0, size) with a heavy head: a few values take most draws, as in real logs. */
export function skewedIndex(random: Random, size: number): number {
  const r = random.next();
  return Math.min(size - 1, Math.floor(size * r * r * r));
}

/** Picks from a list with a heavy head (see `skewedIndex`). */
export function skewedPick<T>(random: Random, items: readonly T[]): T {
  const item = items[skewedIndex(random, items.length)];
  if (item === undefined) throw new RangeError('cannot pick from an empty list');
  return item;
}

// First octets of widely used public address blocks (cloud providers, ISPs), none of them
// private, loopback, link-local or multicast.
const PUBLIC_FIRST_OCTETS = [
  3, 13, 18, 20, 23, 31, 34, 35, 37, 40, 44, 46, 52, 54, 62, 64, 66, 71, 77, 81, 89, 91, 95, 104,
  109, 142, 151, 176, 185, 188, 193, 195, 203, 212, 213, 217,
];

/** Draws a fixed set of public IPv4 addresses, once per generator. */
export function publicAddresses(random: Random, count: number): string[] {
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const first = random.pick(PUBLIC_FIRST_OCTETS);
    addresses.push(`${first}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`);
  }
  return addresses;
}

/** Draws a fixed set of private addresses in `10.<x>.0.0/16` subnets. */
export function privateAddresses(random: Random, count: number, second = 0): string[] {
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    addresses.push(`10.${second}.${random.int(0, 15)}.${random.int(4, 250)}`);
  }
  return addresses;
}

const FIRST_NAMES = [
  'alex',
  'blair',
  'casey',
  'dana',
  'eli',
  'frankie',
  'gale',
  'harper',
  'indy',
  'jordan',
  'kai',
  'lee',
  'morgan',
  'noel',
  'oak',
  'parker',
  'quinn',
  'reese',
  'sam',
  'taylor',
  'uma',
  'val',
];
const LAST_NAMES = [
  'kim',
  'novak',
  'okafor',
  'silva',
  'tanaka',
  'weber',
  'haddad',
  'larsen',
  'moreau',
  'ivanova',
  'chen',
  'garcia',
  'nguyen',
  'patel',
  'rossi',
  'schmidt',
  'yilmaz',
  'kowalski',
];

/** Draws a fixed set of `first.last` user names. */
export function userNames(random: Random, count: number): string[] {
  const names = new Set<string>();
  while (names.size < count) names.add(`${random.pick(FIRST_NAMES)}.${random.pick(LAST_NAMES)}`);
  return [...names];
}

/** Browsers, command-line tools and SDKs, with their real user agent strings. */
export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'aws-cli/2.15.40 Python/3.11.8 Linux/6.1.84-99.169.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/s3.cp',
  'Boto3/1.34.98 md/Botocore#1.34.98 ua/2.0 os/linux#5.10.215 md/arch#x86_64 lang/python#3.12.3',
  'aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64',
  'curl/8.7.1',
  'python-requests/2.31.0',
  'Go-http-client/2.0',
  'kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8',
  'google-cloud-sdk gcloud/474.0.0 command/gcloud.compute.instances.list',
  'Terraform/1.8.2 (+https://www.terraform.io) terraform-provider-aws/5.48.0',
];

/** Formats epoch milliseconds as ISO 8601 UTC with milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Formats epoch milliseconds as ISO 8601 UTC to the second, as CloudTrail writes it. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Formats epoch milliseconds as a BSD syslog time in UTC, such as `May  3 08:00:01`. */
export function bsdTime(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${MONTHS[d.getUTCMonth()]} ${day} ${d.toISOString().slice(11, 19)}`;
}

/** Formats epoch milliseconds as S3 access logs do, such as `[13/May/2024:00:00:01 +0000]`. */
export function bracketTime(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `[${day}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)} +0000]`;
}

/** Yields `prefix`, then each item separated by a comma and a newline, then `suffix`. */
export function* jsonList(
  prefix: string,
  items: Iterable<string>,
  suffix: string,
): Generator<string> {
  yield prefix;
  let first = true;
  for (const item of items) {
    yield first ? item : `,\n${item}`;
    first = false;
  }
  yield suffix;
}

/** Yields each piece followed by a newline. */
export function* lines(pieces: Iterable<string>): Generator<string> {
  for (const piece of pieces) yield `${piece}\n`;
}

const BATCH_BYTES = 64 * 1024;

/**
 * Streams a generator's pieces as buffers of about 64 KiB, so a consumer reads chunks of the
 * size a file stream would give.
 */
export function toReadable(pieces: Iterable<string>): Readable {
  function* batches(): Generator<Buffer> {
    let batch: string[] = [];
    let length = 0;
    for (const piece of pieces) {
      batch.push(piece);
      length += piece.length;
      if (length >= BATCH_BYTES) {
        yield Buffer.from(batch.join(''));
        batch = [];
        length = 0;
      }
    }
    if (batch.length > 0) yield Buffer.from(batch.join(''));
  }
  return Readable.from(batches(), { objectMode: false });
}
