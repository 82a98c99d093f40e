import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';
import type { CaseDb } from '../store/case-db.ts';
import {
  createRawBytesTable,
  hasSplitRecords,
  selectedEventsWithWholeRaw,
} from '../store/raw-parts.ts';
import {
  columnsRead,
  type SliceBudget,
  sliceBudget,
  sliceCondition,
  sliceRowsForMemory,
  timeSlices,
} from '../store/time-slices.ts';

/** OCSF version whose attribute names the Parquet export follows. */
export const OCSF_VERSION = '1.1.0';

/**
 * OCSF `activity_id` per class and activity name, for the classes cloudcase's sources emit:
 * API Activity (6003), Authentication (3002), Network Activity (4001), HTTP Activity (4002), DNS
 * Activity (4003) and Detection Finding (2004). Other names get 99 (Other).
 */
const ACTIVITY_IDS: Record<number, Record<string, number>> = {
  6003: { Create: 1, Read: 2, Update: 3, Delete: 4 },
  3002: { Logon: 1, Logoff: 2, 'Authentication Ticket': 3, 'Service Ticket': 4 },
  4001: { Open: 1, Close: 2, Reset: 3, Fail: 4, Refuse: 5, Traffic: 6, Listen: 7 },
  4002: { Connect: 1, Delete: 2, Get: 3, Head: 4, Options: 5, Post: 6, Put: 7, Trace: 8 },
  4003: { Query: 1, Response: 2, Traffic: 6 },
  2004: { Create: 1, Update: 2, Close: 3 },
};

/** OCSF category names by `category_uid`, which is the class id divided by 1000. */
const CATEGORY_NAMES: Record<number, string> = {
  1: 'System Activity',
  2: 'Findings',
  3: 'Identity & Access Management',
  4: 'Network Activity',
  5: 'Discovery',
  6: 'Application Activity',
};

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

function activityIdSql(): string {
  const cases = Object.entries(ACTIVITY_IDS).flatMap(([classUid, names]) =>
    Object.entries(names).map(
      ([name, id]) => `WHEN class_uid = ${classUid} AND activity = ${quote(name)} THEN ${id}`,
    ),
  );
  return `CASE ${cases.join(' ')} ELSE 99 END`;
}

function categoryNameSql(): string {
  const cases = Object.entries(CATEGORY_NAMES).map(
    ([uid, name]) => `WHEN class_uid // 1000 = ${uid} THEN ${quote(name)}`,
  );
  return `CASE ${cases.join(' ')} ELSE 'Other' END`;
}

/**
 * Builds the SELECT that maps each row of `events` to OCSF attributes: `time` in milliseconds
 * since the epoch, `actor`, `src_endpoint`, `dst_endpoint`, `cloud`, `api`, `http_request`,
 * `resources`, `metadata` and `raw_data`. The cloudcase fields that OCSF has no attribute for
 * (category, evidence reference) go under `unmapped`. `source` and `day` are the partition keys.
 * `where`, an SQL condition over `events`, selects the rows. `raw` is the SQL of the raw record.
 * `from` is the table the rows come from, `events` or a subquery of its rows named `events`,
 * such as `selectedEventsWithWholeRaw` gives for a case with records stored in parts.
 */
export function ocsfSelect(where = 'true', raw = 'raw', from = 'events'): string {
  return `SELECT
  epoch_ms(time) AS time,
  strftime(time, '%Y-%m-%dT%H:%M:%S.%gZ') AS time_dt,
  class_uid,
  class_name,
  class_uid // 1000 AS category_uid,
  ${categoryNameSql()} AS category_name,
  ${activityIdSql()} AS activity_id,
  activity AS activity_name,
  class_uid * 100 + (${activityIdSql()}) AS type_uid,
  CASE status WHEN 'success' THEN 1 WHEN 'failure' THEN 2 ELSE 0 END AS status_id,
  CASE status WHEN 'success' THEN 'Success' WHEN 'failure' THEN 'Failure' ELSE 'Unknown' END AS status,
  status_detail,
  message,
  struct_pack(
    "user" := struct_pack(uid := actor_uid, name := actor_name, type := actor_type,
      credential_uid := actor_access_key, account := struct_pack(uid := actor_account)),
    session := struct_pack(uid := actor_session, is_mfa := actor_mfa),
    invoked_by := actor_invoked_by
  ) AS actor,
  struct_pack(ip := src_ip, port := src_port, domain := src_domain) AS src_endpoint,
  struct_pack(ip := dst_ip, port := dst_port, domain := dst_domain) AS dst_endpoint,
  struct_pack(bytes_out := src_bytes, bytes_in := dst_bytes, packets_out := src_packets,
    packets_in := dst_packets) AS traffic,
  struct_pack(user_agent := user_agent) AS http_request,
  struct_pack(provider := cloud_provider, account := struct_pack(uid := cloud_account),
    region := cloud_region) AS cloud,
  struct_pack(service := struct_pack(name := api_service), operation := api_operation,
    request := struct_pack(uid := api_request_id)) AS api,
  from_json(resources, '[{"uid":"VARCHAR","type":"VARCHAR"}]') AS resources,
  struct_pack(uid := uid, version := '${OCSF_VERSION}', log_name := source,
    product := struct_pack(name := 'cloudcase'), labels := tags) AS metadata,
  ${raw} AS raw_data,
  struct_pack(category := category, evidence_sha256 := evidence_sha256,
    evidence_member := evidence_member, evidence_record := evidence_record,
    evidence_offset := evidence_offset) AS unmapped,
  source,
  strftime(time, '%Y-%m-%d') AS day
FROM ${from}
WHERE ${where}`;
}

/** One partition of the export: a source and a UTC day. */
interface Partition {
  source: string;
  day: string;
}

async function listPartitions(connection: DuckDBConnection): Promise<Partition[]> {
  const reader = await connection.runAndReadAll(
    `SELECT DISTINCT source, strftime(time, '%Y-%m-%d') AS day FROM events ORDER BY ALL`,
  );
  return reader.getRowObjectsJS() as unknown as Partition[];
}

// Hive-style folder names escape characters that are special in paths and URLs, as `%XX`.
const hiveValue = (value: string): string => encodeURIComponent(value);

// The COPY of the OCSF rows of `from` that `where` selects to the Parquet file `file`, without
// the partition columns.
function copySql(where: string, from: string, file: string, rowGroupRows: number): string {
  return `COPY (SELECT * EXCLUDE (source, day) FROM (${ocsfSelect(where, 'raw', from)}))
    TO ${quote(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows})`;
}

async function copiedRows(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRowsJS()[0]?.[0] ?? 0);
}

/**
 * Writes the events of one partition, selected by `where`, of a case with records stored in
 * parts: one Parquet file per time slice (`timeSlices`), `data_0.parquet`, `data_1.parquet`, ...
 * in time order. The slices are sized by the whole raw records, and each slice puts together
 * the parts of its own records only (`selectedEventsWithWholeRaw`). A subquery per event over
 * all parts ran out of memory: 15,000 CloudTrail events with 257 MB of parts under the case's
 * 244 MiB, and 8,000 test events with 122 MB of parts under 128 MB. Each file contains one
 * slice, so its row groups stay within the slice's budget. `rowGroupRows` alone may allow more
 * rows, because `sliceRowsForMemory` sizes it by the records stored whole. Returns the number of
 * events written.
 */
async function writeSplitPartition(
  connection: DuckDBConnection,
  partition: string,
  where: string,
  budget: SliceBudget,
  rowGroupRows: number,
): Promise<number> {
  let written = 0;
  let file = 0;
  for await (const slice of timeSlices(connection, { where, params: {} }, budget)) {
    const events = await selectedEventsWithWholeRaw(
      connection,
      `(${where}) AND ${sliceCondition(slice)}`,
    );
    const target = path.join(partition, `data_${file++}.parquet`);
    written += await copiedRows(
      connection,
      copySql('true', `${events} events`, target, rowGroupRows),
    );
  }
  return written;
}

// The temporary table of the bytes of the records stored in parts (`createRawBytesTable`).
const RAW_BYTES_TABLE = 'ocsf_raw_bytes';

// Makes the folder of each partition and writes its events with `write`, which gets the folder
// and the SQL condition that selects them. Returns the number of events written.
async function writePartitions(
  connection: DuckDBConnection,
  folder: string,
  write: (partition: string, where: string) => Promise<number>,
): Promise<number> {
  let written = 0;
  for (const { source, day } of await listPartitions(connection)) {
    const partition = path.join(folder, `source=${hiveValue(source)}`, `day=${hiveValue(day)}`);
    await mkdir(partition, { recursive: true });
    const where = `source = ${quote(source)} AND strftime(time, '%Y-%m-%d') = ${quote(day)}`;
    written += await write(partition, where);
  }
  return written;
}

/**
 * Writes every event as OCSF-shaped Parquet under `folder`, partitioned Hive-style by source
 * and UTC day (`source=aws.cloudtrail/day=2024-05-16/data_0.parquet`), the partition columns
 * left out of the files as DuckDB's PARTITION_BY does. One COPY at a time keeps one Parquet
 * writer open at a time, and its row groups hold as many events as `sliceRowsForMemory`
 * allows, because a writer buffers a whole row group, raw records included, before it writes
 * it. A partition is one file, except in a case with records stored in parts, where it is one
 * file per time slice (`writeSplitPartition`). `folder` must be missing or empty. Returns the
 * number of events.
 */
export async function exportOcsfParquet(db: CaseDb, folder: string): Promise<number> {
  const connection = await db.connect();
  try {
    // Rows may reach a file in any order. With insertion order kept, DuckDB keeps finished
    // batches until the earlier ones are written, which took more memory than the row groups.
    await connection.run('SET SESSION preserve_insertion_order = false');
    const rowGroupRows = await sliceRowsForMemory(connection);
    if (!(await hasSplitRecords(connection))) {
      return await writePartitions(connection, folder, (partition, where) =>
        copiedRows(
          connection,
          copySql(where, 'events', path.join(partition, 'data_0.parquet'), rowGroupRows),
        ),
      );
    }
    // The bytes of the records stored in parts are read once for all partitions.
    const budget = await sliceBudget(connection, true, columnsRead([ocsfSelect()]));
    const write = async () => {
      budget.rawBytes = await createRawBytesTable(connection, RAW_BYTES_TABLE, budget.bytes);
      return await writePartitions(connection, folder, (partition, where) =>
        writeSplitPartition(connection, partition, where, budget, rowGroupRows),
      );
    };
    return await withCleanup(write, () =>
      connection.run(`DROP TABLE IF EXISTS temp.${RAW_BYTES_TABLE}`),
    );
  } finally {
    connection.closeSync();
  }
}
