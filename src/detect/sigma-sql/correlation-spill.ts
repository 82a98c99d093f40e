/**
 * Correlation occurrences spilled to a DuckDB file of their own, so the state of correlation
 * rules does not grow in memory with the number of base-rule matches. Occurrences are appended
 * while the events stream; `evaluate` then reads each correlation's occurrences sorted by group
 * and time, in chunks, and evaluates one group at a time with the streaming window scans of
 * `correlation-window.ts`, the same code the in-memory engine runs. Both `investigate` (in the
 * parser thread) and `hunt` evaluate correlations this way.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
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

/**
 * DuckDB's memory limit in the spill database. Sorting a correlation's occurrences past it
 * spills to the spill folder, so it bounds the sort's memory, not the number of occurrences.
 */
const SPILL_MEMORY_LIMIT = '64MB';

/** Appended rows that make the spill commit, so uncommitted rows stay few. */
const COMMIT_ROWS = 32_768;

const TABLE = 'occurrences';

// `seq` keeps the arrival order of occurrences at the same time, which the windows depend on.
// `uid` is a base-rule match's event uid and `hit_uids` the JSON uid list of a chained hit.
const CREATE_TABLE = `CREATE TABLE ${TABLE} (
  correlation INTEGER NOT NULL,
  group_key VARCHAR NOT NULL,
  time DOUBLE NOT NULL,
  seq BIGINT NOT NULL,
  rule INTEGER NOT NULL,
  uid VARCHAR,
  hit_uids VARCHAR,
  value_texts VARCHAR
)`;

const READ_GROUPS = `SELECT group_key, time, rule, uid, hit_uids, value_texts FROM ${TABLE}
  WHERE correlation = $correlation ORDER BY group_key, time, seq`;

/** An occurrence store on disk, in a folder that `close` removes. */
export class CorrelationSpill implements OccurrenceSink {
  readonly #folder: string;
  readonly #instance: DuckDBInstance;
  readonly #writer: DuckDBConnection;
  #appender: DuckDBAppender;
  #seq = 0;
  #uncommitted = 0;

  private constructor(
    folder: string,
    instance: DuckDBInstance,
    writer: DuckDBConnection,
    appender: DuckDBAppender,
  ) {
    this.#folder = folder;
    this.#instance = instance;
    this.#writer = writer;
    this.#appender = appender;
  }

  /**
   * Creates a spill in `folder`, an empty folder made by `newSpillFolder`, which `close` (or,
   * when creating fails, this call) removes.
   */
  static async create(folder: string): Promise<CorrelationSpill> {
    try {
      const instance = await DuckDBInstance.create(join(folder, 'occurrences.duckdb'), {
        memory_limit: SPILL_MEMORY_LIMIT,
        threads: '1',
        temp_directory: join(folder, 'sort'),
      });
      const writer = await instance.connect();
      await writer.run(CREATE_TABLE);
      const appender = await writer.createAppender(TABLE);
      return new CorrelationSpill(folder, instance, writer, appender);
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
    const appender = this.#appender;
    appender.appendInteger(correlation);
    appender.appendVarchar(group);
    appender.appendDouble(time);
    appender.appendBigInt(BigInt(this.#seq++));
    appender.appendInteger(rule);
    if (typeof uids === 'string') {
      appender.appendVarchar(uids);
      appender.appendNull();
    } else {
      appender.appendNull();
      appender.appendVarchar(JSON.stringify(uids));
    }
    if (values.length === 0) appender.appendNull();
    else appender.appendVarchar(JSON.stringify(values));
    appender.endRow();

    if (++this.#uncommitted >= COMMIT_ROWS) this.#commit();
  }

  /**
   * Evaluates the correlations of `plan` over the occurrences added, in plan order, and returns
   * their hits. The hits of a correlation that others refer to are added as their occurrences
   * before those are evaluated.
   */
  async evaluate(plan: CorrelationPlan): Promise<CorrelationHit[]> {
    this.#commit();
    const reader = await this.#instance.connect();
    try {
      const hits: CorrelationHit[] = [];
      for (const [position, rule] of plan.rules.entries()) {
        const own = await correlationHits(reader, position, rule);
        hits.push(...own);
        forwardHits(plan, position, own, this);
        this.#commit();
      }
      return hits;
    } finally {
      reader.closeSync();
    }
  }

  /** Closes the spill database and removes its folder. */
  async close(): Promise<void> {
    try {
      this.#appender.closeSync();
      this.#writer.closeSync();
      this.#instance.closeSync();
    } finally {
      await rm(this.#folder, { recursive: true, force: true });
    }
  }

  #commit(): void {
    if (this.#uncommitted === 0) return;
    this.#appender.flushSync();
    this.#uncommitted = 0;
  }
}

/**
 * Reads the occurrences of the correlation at `position` in chunks, sorted by group then time,
 * and evaluates one group at a time.
 */
async function correlationHits(
  reader: DuckDBConnection,
  position: number,
  rule: CorrelationRule,
): Promise<CorrelationHit[]> {
  const hits: CorrelationHit[] = [];
  const result = await reader.stream(READ_GROUPS, { correlation: position });
  let key: string | null = null;
  let scan: GroupScan | null = null;
  for await (const rows of result.yieldRowsJs()) {
    for (const row of rows) {
      const group = row[0] as string;
      if (group !== key) {
        if (scan !== null && key !== null) hits.push(...groupHits(rule, key, scan.finish()));
        key = group;
        scan = scanFor(rule);
      }
      scan!.push(occurrenceOf(row));
    }
  }
  if (scan !== null && key !== null) hits.push(...groupHits(rule, key, scan.finish()));
  return hits;
}

function occurrenceOf(row: unknown[]): Occurrence {
  const [, time, rule, uid, hitUids, valueTexts] = row;
  return {
    time: time as number,
    uids: typeof uid === 'string' ? [uid] : (JSON.parse(hitUids as string) as string[]),
    rule: rule as number,
    values: typeof valueTexts === 'string' ? (JSON.parse(valueTexts) as string[]) : [],
  };
}

/**
 * Makes an empty folder for a `CorrelationSpill` beside the folder DuckDB spills to on
 * `connection`: beside the case file, or in the private folder of an encrypted case's working
 * copy, so spilled values stay where the case keeps its data.
 */
export async function newSpillFolder(connection: DuckDBConnection): Promise<string> {
  const reader = await connection.runAndReadAll("SELECT current_setting('temp_directory')");
  const folder = reader.getRowsJS()[0]?.[0];
  // An in-memory database spills to `.tmp` in the working directory, and DuckDB leaves the
  // setting empty when spilling is turned off: the system's temporary folder serves both.
  const prefix =
    typeof folder === 'string' && isAbsolute(folder) ? folder : join(tmpdir(), 'cloudcase');
  return mkdtemp(`${prefix}-correlations-`);
}
