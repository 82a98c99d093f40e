/**
 * Read queries over the events in `scope_events`: what the scope touched, the data it read,
 * its flows, its changes and the event list.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { mutatingSql } from './mutating.ts';
import { rollbackOf } from './rollback.ts';
import type { Change, DataRead, DataReadTotals, FlowTotal, ScopeEvent, Touched } from './types.ts';
import { iso, numeric, rows, text } from './values.ts';

const IN_SCOPE = 'FROM events WHERE uid IN (SELECT uid FROM scope_events)';

/** Operations that read data: objects, secrets, parameters and decryption. */
const DATA_READS = `('GetObject', 'REST.GET.OBJECT', 'GetSecretValue', 'BatchGetSecretValue',
  'GetParameter', 'GetParameters', 'GetParametersByPath', 'Decrypt', 'SelectObjectContent',
  'CopyObject', 'REST.COPY.OBJECT_GET', 'storage.objects.get', 'SecretGet')`;

/** Calls that sign in or hand out credentials: they change nothing to roll back. */
const NOT_CHANGES = `('ConsoleLogin', 'AssumeRole', 'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity', 'GetSessionToken', 'GetFederationToken', 'GetCallerIdentity',
  'CheckMfa', 'SwitchRole', 'ExitRole', 'RenewRole', 'GetSigninToken', 'CredentialVerification')`;

/** Counts, first and last times of the scope's events. */
export async function scopeTotals(connection: DuckDBConnection): Promise<{
  events: number;
  first: string | null;
  last: string | null;
  by_source: { source: string; events: number }[];
}> {
  const [total] = await rows(
    connection,
    `SELECT count(*) AS n, epoch_ms(min(time)) AS f, epoch_ms(max(time)) AS l ${IN_SCOPE}`,
  );
  const bySource = await rows(
    connection,
    `SELECT source, count(*) AS n ${IN_SCOPE} GROUP BY source ORDER BY n DESC, source`,
  );
  const events = Number(total?.n ?? 0);

  return {
    events,
    first: events > 0 ? iso(total?.f) : null,
    last: events > 0 ? iso(total?.l) : null,
    by_source: bySource.map((row) => ({ source: String(row.source), events: Number(row.n) })),
  };
}

/** Identities, access keys and IP addresses of the scope's events. */
export async function scopeTouched(
  connection: DuckDBConnection,
  column: 'actor_uid' | 'actor_access_key' | 'ip',
  limit: number,
): Promise<Touched[]> {
  const from =
    column === 'ip'
      ? `(SELECT src_ip AS value, time ${IN_SCOPE} AND src_ip IS NOT NULL
          UNION ALL SELECT dst_ip, time ${IN_SCOPE} AND dst_ip IS NOT NULL)`
      : `(SELECT ${column} AS value, time ${IN_SCOPE} AND ${column} IS NOT NULL)`;
  const found = await rows(
    connection,
    `SELECT value, count(*) AS n, epoch_ms(min(time)) AS f, epoch_ms(max(time)) AS l
     FROM ${from} GROUP BY value ORDER BY f, value LIMIT ${limit}`,
  );
  return found.map((row) => ({
    value: String(row.value),
    events: Number(row.n),
    first_seen: iso(row.f),
    last_seen: iso(row.l),
  }));
}

/**
 * Objects and secrets read in the scope, at most `limit`, and the totals over all of them.
 * Bytes come from S3 access logs (bytes sent) and from CloudTrail data events
 * (`bytesTransferredOut`); S3 access logs also record the object's size. A log without them
 * leaves them `null`, and the totals count such reads apart.
 */
export async function scopeDataRead(
  connection: DuckDBConnection,
  limit: number,
): Promise<{ reads: DataRead[]; totals: DataReadTotals }> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE scope_reads AS
    SELECT uid, time, api_operation AS op, resources, nullif(dst_bytes, 0) AS sent
    ${IN_SCOPE} AND status = 'success' AND api_operation IN ${DATA_READS}`);
  const [span] = await rows(
    connection,
    'SELECT count(*) AS n, epoch_ms(min(time)) AS f, epoch_ms(max(time)) AS l FROM scope_reads',
  );
  if (span === undefined || Number(span.n) === 0) return { reads: [], totals: NO_READS };

  await connection.run(readsPerEventSql(), { first: Number(span.f), last: Number(span.l) });
  const found = await rows(
    connection,
    `SELECT resource, type, op, count(*) AS n, sum(bytes) AS bytes, sum(size) AS size
     FROM scope_read_events GROUP BY ALL ORDER BY resource, op LIMIT ${limit}`,
  );
  return {
    reads: found.map((row) => ({
      resource: String(row.resource),
      type: String(row.type),
      operation: String(row.op),
      events: Number(row.n),
      bytes: numeric(row.bytes),
      object_size: numeric(row.size),
    })),
    totals: await readTotals(connection),
  };
}

const NO_READS: DataReadTotals = {
  resources: 0,
  reads: 0,
  bytes: null,
  reads_with_bytes: 0,
  object_size: null,
  reads_with_size: 0,
};

async function readTotals(connection: DuckDBConnection): Promise<DataReadTotals> {
  const [row] = await rows(
    connection,
    `SELECT count(DISTINCT resource) AS resources, count(*) AS reads,
       sum(bytes) AS bytes, count(bytes) AS with_bytes,
       sum(size) AS size, count(size) AS with_size
     FROM scope_read_events`,
  );
  if (row === undefined) return NO_READS;

  return {
    resources: Number(row.resources),
    reads: Number(row.reads),
    bytes: numeric(row.bytes),
    reads_with_bytes: Number(row.with_bytes),
    object_size: numeric(row.size),
    reads_with_size: Number(row.with_size),
  };
}

// Only the original records of the reads are parsed, and the time range lets DuckDB skip every
// row group outside it, so a short intrusion in a long case reads little of `raw`.
function readsPerEventSql(): string {
  return `CREATE OR REPLACE TEMP TABLE scope_read_events AS
    WITH logged AS (
      SELECT uid,
        try_cast(json_extract_string(raw, '$.additionalEventData.bytesTransferredOut') AS DOUBLE)
          AS bytes,
        try_cast(json_extract_string(raw, '$.object_size') AS DOUBLE) AS size
      FROM events
      WHERE time BETWEEN epoch_ms($first::BIGINT) AND epoch_ms($last::BIGINT)
        AND uid IN (SELECT uid FROM scope_reads)
    ),
    reads AS (
      SELECT s.uid AS event, s.op,
        unnest(json_transform(s.resources, '[{"uid":"VARCHAR","type":"VARCHAR"}]')) AS r,
        coalesce(s.sent, l.bytes) AS bytes, l.size
      FROM scope_reads s LEFT JOIN logged l USING (uid)
    )
    -- CloudTrail names an object twice, as an ARN and as bucket/key: one per event and type.
    SELECT event, coalesce(r.type, 'resource') AS type, op,
      arg_max(r.uid, starts_with(r.uid, 'arn:')) AS resource,
      any_value(bytes) AS bytes, any_value(size) AS size
    FROM reads
    WHERE r.uid IS NOT NULL AND coalesce(r.type, '') NOT IN ('AWS::S3::Bucket')
    GROUP BY ALL`;
}

/** Network flows of the scope, per pair of addresses, the largest senders first, and totals. */
export async function scopeFlows(
  connection: DuckDBConnection,
  limit: number,
): Promise<{ flows: FlowTotal[]; totals: { flows: number; bytes: number } }> {
  const where = `${IN_SCOPE} AND category = 'network' AND src_ip IS NOT NULL
    AND dst_ip IS NOT NULL`;
  const found = await rows(
    connection,
    `SELECT src_ip, dst_ip, count(*) AS n, coalesce(sum(src_bytes), 0) AS b,
       coalesce(sum(src_packets), 0) AS p, epoch_ms(min(time)) AS f, epoch_ms(max(time)) AS l
     ${where} GROUP BY src_ip, dst_ip ORDER BY b DESC, f LIMIT ${limit}`,
  );
  const [total] = await rows(
    connection,
    `SELECT count(*) AS n, coalesce(sum(src_bytes), 0) AS b ${where}`,
  );
  const flows = found.map((row) => ({
    src_ip: String(row.src_ip),
    dst_ip: String(row.dst_ip),
    events: Number(row.n),
    bytes: Number(row.b),
    packets: Number(row.p),
    first_seen: iso(row.f),
    last_seen: iso(row.l),
  }));

  return { flows, totals: { flows: Number(total?.n ?? 0), bytes: Number(total?.b ?? 0) } };
}

/**
 * Successful API calls that changed something, network changes included, in time order, at
 * most `limit`, each with what undoes it, and how many there are in all.
 */
export async function scopeChanges(
  connection: DuckDBConnection,
  limit: number,
): Promise<{ changes: Change[]; total: number }> {
  const where = `${IN_SCOPE} AND ${mutatingSql()} AND status = 'success'
       AND api_operation NOT IN ${NOT_CHANGES}`;
  const found = await rows(
    connection,
    `SELECT epoch_ms(time) AS t, api_operation AS op, api_service AS service,
       actor_uid AS actor, uid,
       list_transform(json_transform(resources, '[{"uid":"VARCHAR"}]'), r -> r.uid) AS res
     ${where}
     ORDER BY time, uid LIMIT ${limit}`,
  );
  const [total] = await rows(connection, `SELECT count(*) AS n ${where}`);
  const changes = found.map((row) => ({
    time: iso(row.t),
    operation: String(row.op),
    service: text(row.service),
    actor: text(row.actor),
    resources: Array.isArray(row.res) ? row.res.filter((r) => r !== null).map(String) : [],
    event_uid: String(row.uid),
    rollback: rollbackOf(String(row.op)),
  }));

  return { changes, total: Number(total?.n ?? 0) };
}

/** Lists the scope's events in time order, at most `limit`. */
export async function scopeEventList(
  connection: DuckDBConnection,
  limit: number,
): Promise<ScopeEvent[]> {
  const found = await rows(
    connection,
    `SELECT uid, epoch_ms(time) AS t, source, api_operation, actor_uid, actor_access_key,
       src_ip, dst_ip, status
     ${IN_SCOPE} ORDER BY time, uid LIMIT ${limit}`,
  );
  return found.map((row) => ({
    uid: String(row.uid),
    time: iso(row.t),
    source: String(row.source),
    operation: text(row.api_operation),
    actor: text(row.actor_uid),
    access_key: text(row.actor_access_key),
    src_ip: text(row.src_ip),
    dst_ip: text(row.dst_ip),
    status: text(row.status),
  }));
}
