/**
 * Correlation occurrences spilled to disk, so the state of correlation rules does not grow in
 * memory with the number of base-rule matches. While events stream, occurrences are written as
 * lines of a file. `evaluate` loads them into a DuckDB database of their own and reads each
 * correlation's occurrences in chunks, sorted by group and time. It evaluates one group at a
 * time with the streaming window scans of `correlation-window.ts`, the code the in-memory engine
 * runs too. Both `investigate` (in the parser thread) and `hunt` evaluate correlations so.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { IncompleteStreamError } from '../../store/checked-stream.ts';
import {
  type CorrelationPlan,
  forwardHits,
  groupHits,
  type OccurrenceSink,
  scanFor,
} from '../sigma/correlation-engine.ts';
import type { GroupScan, Occurrence } from '../sigma/correlation-window.ts';
import type { CorrelationRule } from '../sigma/model.ts';
import type { CorrelationHit } from '../types.ts';
import {
  occurrenceLinesAtOnce,
  STRETCH_BYTES,
  sortedOccurrenceLines,
} from './occurrence-stretches.ts';

/** Settings of the spill database, which tests lower. */
export interface SpillLimits {
  /**
   * DuckDB's memory limit in the spill database. Sorting a correlation's occurrences past it
   * spills to the spill folder, so it bounds the sort's memory, not the number of occurrences.
   */
  memory: string;
  /** Maximum bytes of occurrences sorted in one query (see `sortedOccurrenceLines`). */
  stretchBytes: number;
}

const SPILL_LIMITS: SpillLimits = { memory: '64MB', stretchBytes: STRETCH_BYTES };

/**
 * Bytes of lines encoded before they are written to the file. Each line is encoded as soon as
 * it is built, so the garbage collector frees its text while it is young. Keeping 512 lines as
 * strings until a write took about 0.04 CPU s more on 200,000 events, and 16,384 lines 0.2 s.
 */
const WRITE_BYTES = 64 * 1024;

const TABLE = 'occurrences';

// One line per occurrence, fields separated by tabs. The text fields are JSON, which never
// contains a raw tab or line break, so the lines need no quoting. `seq` keeps the arrival order
// of occurrences at the same time, because the windows depend on it. `uids` is a base-rule
// match's event uid or the uid list of a chained hit. `value_texts` is empty without values.
// Parquet files that `tableFile` named hold more occurrences in these columns, with NULL
// `value_texts` where there are no values.
// NOTE: a group key longer than `MAX_LINE_BYTES` (one group-by value of over 8 MB) makes the
// load fail, where the in-memory engine would count it.
const COLUMNS = {
  seq: 'BIGINT',
  correlation: 'INTEGER',
  time: 'DOUBLE',
  rule: 'INTEGER',
  group_key: 'VARCHAR',
  uids: 'VARCHAR',
  value_texts: 'VARCHAR',
};

/**
 * Maximum line length, in bytes, that DuckDB reads back. Its CSV reader allocates a buffer of
 * that size.
 */
const MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * Maximum length of a value text spilled as it is. A longer text is replaced by its SHA-256,
 * which counts as the same distinct value and, like the long text, is not a number.
 */
export const MAX_VALUE_CHARS = 65_536;

// Sequence numbers an event given a rank can take: one per occurrence it adds, one for each
// correlation its rules feed. Ranks up to 2^33 keep them exact in a double.
export const PER_RANK = 2 ** 20;

const LOAD_TABLE = (file: string, tables: readonly string[]) => {
  const quoted = (path: string) => `'${path.replaceAll("'", "''")}'`;
  const lines = `SELECT * FROM read_csv(
    ${quoted(file)}, delim = '\t', quote = '', escape = '', header = false,
    auto_detect = false, max_line_size = ${MAX_LINE_BYTES}, buffer_size = ${MAX_LINE_BYTES},
    columns = ${JSON.stringify(COLUMNS).replaceAll('"', "'")})`;
  if (tables.length === 0) return `CREATE TABLE ${TABLE} AS ${lines}`;
  const parquet = `SELECT * FROM read_parquet([${tables.map(quoted).join(', ')}])`;
  return `CREATE TABLE ${TABLE} AS ${lines} UNION ALL BY NAME ${parquet}`;
};

/** An occurrence store on disk, in a folder that `close` removes. */
export class CorrelationSpill implements OccurrenceSink {
  readonly #folder: string;
  readonly #limits: SpillLimits;
  readonly #file: string;
  /** Parquet files of occurrences written by others, see `tableFile`. */
  readonly #tables: string[] = [];
  #fd: number | null;
  readonly #buffer = Buffer.allocUnsafe(WRITE_BYTES);
  /** Bytes of `#buffer` that contain lines not yet written. */
  #used = 0;
  #seq = 0;
  /** The first `seq` of the event `rank` names, and how many of its occurrences were added. */
  #ranked: { first: number; added: number } | null = null;
  #instance: DuckDBInstance | null = null;

  private constructor(folder: string, limits: SpillLimits) {
    this.#folder = folder;
    this.#limits = limits;
    this.#file = join(folder, 'occurrences.tsv');
    this.#fd = openSync(this.#file, 'wx', 0o600);
  }

  /**
   * Creates a spill in `folder`, an empty folder made by `newSpillFolder`, which `close`
   * removes. `limits` replaces the default limits of the spill database.
   */
  static async create(
    folder: string,
    limits: Partial<SpillLimits> = {},
  ): Promise<CorrelationSpill> {
    try {
      return new CorrelationSpill(folder, { ...SPILL_LIMITS, ...limits });
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
  }

  add(
    correlation: number,
    group: string,
    time: number,
    uids: string | readonly string[],
    rule: number,
    values: readonly string[],
  ): void {
    const texts = values.length === 0 ? '' : JSON.stringify(boundedTexts(values));
    const line = `${this.#nextSeq()}\t${correlation}\t${time}\t${rule}\t${group}\t${JSON.stringify(uids)}\t${texts}`;
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const maxBytes = line.length * 3 + 1;
    if (this.#used + maxBytes > WRITE_BYTES) {
      this.#write();
      if (maxBytes > WRITE_BYTES) {
        writeSync(this.#fd!, `${line}\n`);
        return;
      }
    }
    this.#used += this.#buffer.write(line, this.#used);
    this.#buffer[this.#used++] = 0x0a;
  }

  /**
   * Returns the path of a new Parquet file in the spill's folder for occurrences written
   * elsewhere (by DuckDB on the case's connection), which `evaluate` loads with the lines. It
   * has the columns of `COLUMNS`, with NULL `value_texts` where there are no values. The
   * caller gives its highest `seq` to `reserve`.
   */
  tableFile(): string {
    const file = join(this.#folder, `occurrences-${this.#tables.length}.parquet`);
    this.#tables.push(file);
    return file;
  }

  /** Makes every `seq` this spill gives from now on greater than `seq`. */
  reserve(seq: number): void {
    if (seq >= this.#seq) this.#seq = seq + 1;
  }

  /**
   * Makes the occurrences added next, until the next call, those of the event at place `rank`
   * (from 1) of an order. Occurrences of one group at one time are then evaluated in that order,
   * whatever order they are added in. Without it they are evaluated in the order added.
   */
  rank(rank: number): void {
    this.#ranked = { first: rank * PER_RANK, added: 0 };
  }

  #nextSeq(): number {
    if (this.#ranked === null) return this.#seq++;
    if (this.#ranked.added >= PER_RANK) {
      throw new Error(`more than ${PER_RANK} correlation occurrences of one event`);
    }
    const seq = this.#ranked.first + this.#ranked.added++;
    if (seq >= this.#seq) this.#seq = seq + 1;
    return seq;
  }

  /**
   * Evaluates the correlations of `plan` over the occurrences added, in plan order, and returns
   * their hits. The hits of a correlation that others refer to are added as their occurrences
   * before those are evaluated. Call it once, after the last `add`.
   */
  async evaluate(plan: CorrelationPlan): Promise<CorrelationHit[]> {
    this.#write();
    closeSync(this.#fd!);
    this.#fd = null;

    const instance = await DuckDBInstance.create(join(this.#folder, 'occurrences.duckdb'), {
      memory_limit: this.#limits.memory,
      threads: '1',
      temp_directory: join(this.#folder, 'sort'),
    });
    this.#instance = instance;
    const connection = await instance.connect();
    const writer = await instance.connect();
    try {
      await connection.run(LOAD_TABLE(this.#file, this.#tables));
      // Without a checkpoint, the first query over 6,000 loaded occurrences with 16 KB group
      // keys (100 MB) ran out of the 64 MB limit (DuckDB 1.5). After one, it read them from the
      // file within the limit.
      await connection.run('CHECKPOINT');
      const chained = new TableSink(await writer.createAppender(TABLE), this.#seq);
      const hits: CorrelationHit[] = [];
      for (const [position, rule] of plan.rules.entries()) {
        const own = await hitsOfCorrelation(connection, position, rule, this.#limits.stretchBytes);
        hits.push(...own);
        forwardHits(plan, position, own, chained);
        chained.commit();
      }
      chained.close();
      return hits;
    } finally {
      connection.closeSync();
      writer.closeSync();
    }
  }

  /** Closes the spill and removes its folder. */
  async close(): Promise<void> {
    try {
      if (this.#fd !== null) closeSync(this.#fd);
      this.#instance?.closeSync();
    } finally {
      this.#fd = null;
      this.#instance = null;
      await rm(this.#folder, { recursive: true, force: true });
    }
  }

  #write(): void {
    if (this.#used === 0) return;
    writeSync(this.#fd!, this.#buffer, 0, this.#used);
    this.#used = 0;
  }
}

function boundedTexts(values: readonly string[]): readonly string[] {
  if (values.every((value) => value.length <= MAX_VALUE_CHARS)) return values;
  return values.map((value) =>
    value.length <= MAX_VALUE_CHARS
      ? value
      : `sha256:${createHash('sha256').update(value).digest('hex')}`,
  );
}

/** Adds the occurrences that chained hits make to the loaded table. */
class TableSink implements OccurrenceSink {
  readonly #appender: DuckDBAppender;
  #seq: number;

  constructor(appender: DuckDBAppender, seq: number) {
    this.#appender = appender;
    this.#seq = seq;
  }

  add(
    correlation: number,
    group: string,
    time: number,
    uids: string | readonly string[],
    rule: number,
    values: readonly string[],
  ): void {
    const appender = this.#appender;
    appender.appendBigInt(BigInt(this.#seq++));
    appender.appendInteger(correlation);
    appender.appendDouble(time);
    appender.appendInteger(rule);
    appender.appendVarchar(group);
    appender.appendVarchar(JSON.stringify(uids));
    if (values.length === 0) appender.appendNull();
    else appender.appendVarchar(JSON.stringify(values));
    appender.endRow();
  }

  /** Commits the rows added, so the next correlation's query reads them. */
  commit(): void {
    this.#appender.flushSync();
  }

  close(): void {
    this.#appender.closeSync();
  }
}

/** Evaluates one correlation's occurrence lines, sorted by group then time, group by group. */
async function correlationHits(
  lines: AsyncIterable<string>,
  rule: CorrelationRule,
): Promise<CorrelationHit[]> {
  const hits: CorrelationHit[] = [];
  let key: string | null = null;
  let scan: GroupScan | null = null;
  for await (const line of lines) {
    const row = line.split('\t');
    const group = row[0]!;
    if (group !== key) {
      if (scan !== null && key !== null) hits.push(...groupHits(rule, key, scan.finish()));
      key = group;
      scan = scanFor(rule);
    }
    scan!.push(occurrenceOf(row));
  }
  if (scan !== null && key !== null) hits.push(...groupHits(rule, key, scan.finish()));
  return hits;
}

/** Builds the occurrence of a line of `sortedOccurrenceLines`, split at its tabs. */
function occurrenceOf(row: readonly string[]): Occurrence {
  const [, time, rule, uids, valueTexts] = row;
  const parsed = JSON.parse(uids!) as string | string[];
  return {
    time: Number(time),
    uids: typeof parsed === 'string' ? [parsed] : parsed,
    rule: Number(rule),
    values: valueTexts === '' ? [] : (JSON.parse(valueTexts!) as string[]),
  };
}

/**
 * Evaluates the correlation at `position` over its occurrences sorted in one query. When DuckDB
 * runs out of the spill's memory for that sort (wide rows, such as uids that carry a long
 * archive member name), evaluates it over occurrences sorted in stretches of `stretchBytes`.
 */
async function hitsOfCorrelation(
  connection: DuckDBConnection,
  position: number,
  rule: CorrelationRule,
  stretchBytes: number,
): Promise<CorrelationHit[]> {
  try {
    return await correlationHits(occurrenceLinesAtOnce(connection, TABLE, position), rule);
  } catch (error) {
    if (!(error instanceof IncompleteStreamError) && !isOutOfMemory(error)) throw error;
  }
  const lines = sortedOccurrenceLines(connection, TABLE, position, stretchBytes);
  return correlationHits(lines, rule);
}

function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('Out of Memory Error');
}

/**
 * Makes an empty folder for a `CorrelationSpill` beside the folder DuckDB spills to on
 * `connection`: beside the case file, or in the private folder of an encrypted case's working
 * copy, so spilled values stay where the case keeps its data. Folders that processes no longer
 * running left there, when a run was killed, are removed first.
 */
export async function newSpillFolder(connection: DuckDBConnection): Promise<string> {
  const reader = await connection.runAndReadAll("SELECT current_setting('temp_directory')");
  const folder = reader.getRowsJS()[0]?.[0];
  // An in-memory database spills to `.tmp` in the working directory, and DuckDB leaves the
  // setting empty when spilling is turned off: the system's temporary folder serves both.
  const prefix =
    typeof folder === 'string' && isAbsolute(folder) ? folder : join(tmpdir(), 'cloudcase');
  await removeLeftSpills(prefix);
  return mkdtemp(`${prefix}-correlations-${process.pid}-`);
}

// The name of each spill folder contains the id of the process that made it.
async function removeLeftSpills(prefix: string): Promise<void> {
  const pattern = new RegExp(`^${escapeRegExp(basename(prefix))}-correlations-(\\d+)-`);
  const names = await readdir(dirname(prefix)).catch(() => [] as string[]);
  for (const name of names) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined || isRunning(Number(pid))) continue;
    await rm(join(dirname(prefix), name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
