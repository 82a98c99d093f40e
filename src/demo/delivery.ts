/**
 * Writes CloudTrail records as a trail delivers them to S3: gzip JSON `{"Records":[...]}`, one
 * file per region per 5–15 minutes of activity, under
 * `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/` with CloudTrail's file name pattern
 * `<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<16 random characters>.json.gz`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ALNUM, type Random } from './random.ts';
import type { CloudTrailRecord } from './record.ts';

/** One delivery file written. */
export interface DeliveryFile {
  /** Absolute path of the file. */
  path: string;
  region: string;
  records: number;
  bytes: number;
}

interface OpenWindow {
  end: number;
  records: CloudTrailRecord[];
}

const MINUTE = 60_000;

/**
 * Groups records into delivery files and writes each file when its window closes. Records must
 * arrive in time order, so at most one window per region is held in memory.
 */
export class DeliveryWriter {
  readonly files: DeliveryFile[] = [];
  readonly #root: string;
  readonly #account: string;
  readonly #rng: Random;
  readonly #windows = new Map<string, OpenWindow>();

  constructor(root: string, account: string, rng: Random) {
    this.#root = root;
    this.#account = account;
    this.#rng = rng;
  }

  /** Adds one record, writing the region's previous file first when the record falls past it. */
  async add(record: CloudTrailRecord): Promise<void> {
    const time = Date.parse(record.eventTime);
    const region = record.awsRegion;
    let window = this.#windows.get(region);
    if (window !== undefined && time >= window.end) {
      await this.#flush(region, window);
      window = undefined;
    }
    if (window === undefined) {
      // A window opens at the minute of its first record and lasts 5 to 15 minutes.
      const start = Math.floor(time / MINUTE) * MINUTE;
      window = { end: start + this.#rng.int(5, 15) * MINUTE, records: [] };
      this.#windows.set(region, window);
    }
    window.records.push(record);
  }

  /** Writes every open window and returns all files written, in write order. */
  async close(): Promise<DeliveryFile[]> {
    const regions = [...this.#windows.keys()].sort();
    for (const region of regions) await this.#flush(region, this.#windows.get(region)!);
    this.#windows.clear();
    return this.files;
  }

  async #flush(region: string, window: OpenWindow): Promise<void> {
    const stamp = new Date(window.end).toISOString();
    const [yyyy, mm, dd] = [stamp.slice(0, 4), stamp.slice(5, 7), stamp.slice(8, 10)];
    const compact = `${yyyy}${mm}${dd}T${stamp.slice(11, 13)}${stamp.slice(14, 16)}Z`;
    const dir = join(this.#root, 'AWSLogs', this.#account, 'CloudTrail', region, yyyy, mm, dd);
    const name = `${this.#account}_CloudTrail_${region}_${compact}_${this.#rng.chars(16, ALNUM)}.json.gz`;
    const bytes = gzipSync(JSON.stringify({ Records: window.records }));

    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, name), bytes);
    this.files.push({
      path: join(dir, name),
      region,
      records: window.records.length,
      bytes: bytes.length,
    });
    this.#windows.delete(region);
  }
}
