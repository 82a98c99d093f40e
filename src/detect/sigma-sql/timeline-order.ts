/**
 * Narrow sort keys that put matched events in timeline order: event time, then evidence hash,
 * archive member (none first), record index and uid. An event's uid contains the name of its
 * archive member, which may have thousands of characters. Numbering 70,000 matches sorted by
 * the member and uid themselves, with members of 4,830 characters, ran out of the case's 256 MB
 * (DuckDB 1.5). So each distinct evidence hash and member gets a number in that order, and the
 * uid is sorted only among events that share every other key.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../../core/errors.ts';
import { withWrittenJoinOrder } from './join-order.ts';

// Each distinct evidence hash and archive member of `events`, with its place in their order.
const EVIDENCE_PLACES = 'sigma_evidence_places';
// The matches with the time, evidence place and record index of their events.
const KEYS_TABLE = 'sigma_timeline_keys';
// The time, evidence place and record index that several matched events share.
const TIED_KEYS = 'sigma_tied_keys';
// The place by uid of each matched event among those that share its other keys.
const TIE_PLACES = 'sigma_tie_places';

/** A relation of matches and the ORDER BY list that puts it in timeline order. */
export interface TimelineOrder {
  /**
   * The FROM clause, without `FROM`, with the columns of the matches as `m` and the row id of
   * their events in `events` as `m.event_row`.
   */
  from: string;
  /** The ORDER BY list over `from`, without `ORDER BY`. */
  orderBy: string;
}

/**
 * Builds the sort keys of the matches in `matches`, a relation with the row ids of their events
 * in `events` as `event_row`, and passes `use` the relation and order that read them in timeline
 * order. The order is valid until `use` returns, and the temporary tables behind it are dropped
 * then. `events` must not change meanwhile.
 */
export async function withTimelineOrder(
  connection: DuckDBConnection,
  matches: string,
  use: (order: TimelineOrder) => Promise<void>,
): Promise<void> {
  const work = async () => {
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${EVIDENCE_PLACES} AS
      SELECT sha256, member, row_number() OVER (ORDER BY sha256, member NULLS FIRST) AS place
      FROM (SELECT DISTINCT evidence_sha256 AS sha256, evidence_member AS member FROM events)`);
    // `events` is the probe side, so no hash table contains the member names (see
    // `withWrittenJoinOrder`).
    await withWrittenJoinOrder(connection, () =>
      connection.run(`CREATE OR REPLACE TEMP TABLE ${KEYS_TABLE} AS
        SELECT m.*, e.time AS event_time, p.place AS evidence_place, e.evidence_record
        FROM events e JOIN ${matches} m ON e.rowid = m.event_row
        JOIN temp.${EVIDENCE_PLACES} p
          ON p.sha256 = e.evidence_sha256 AND p.member IS NOT DISTINCT FROM e.evidence_member`),
    );
    await placeTies(connection);
    await use({
      from: `temp.${KEYS_TABLE} m LEFT JOIN temp.${TIE_PLACES} t ON t.event_row = m.event_row`,
      orderBy: 'm.event_time, m.evidence_place, m.evidence_record, t.place',
    });
  };
  await withCleanup(work, async () => {
    for (const table of [EVIDENCE_PLACES, KEYS_TABLE, TIED_KEYS, TIE_PLACES]) {
      await connection.run(`DROP TABLE IF EXISTS temp.${table}`);
    }
  });
}

/**
 * Creates the tie places table: the place by uid of each match among the matches with the same
 * time, evidence place and record index. Events read from evidence share these keys only with
 * events of the same uid, so the table is empty unless the uids were given otherwise.
 */
async function placeTies(connection: DuckDBConnection): Promise<void> {
  const keys = 'event_time, evidence_place, evidence_record';
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${TIED_KEYS} AS
    SELECT ${keys} FROM temp.${KEYS_TABLE} GROUP BY ${keys} HAVING count(*) > 1`);
  const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM temp.${TIED_KEYS}`);
  if (Number(reader.getRowObjectsJS()[0]?.n ?? 0) === 0) {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${TIE_PLACES} (event_row BIGINT, place BIGINT)`,
    );
    return;
  }

  const tied = `(SELECT * FROM temp.${KEYS_TABLE} k SEMI JOIN temp.${TIED_KEYS} t
    ON t.event_time = k.event_time AND t.evidence_place = k.evidence_place
      AND t.evidence_record = k.evidence_record)`;
  await withWrittenJoinOrder(connection, () =>
    connection.run(`CREATE OR REPLACE TEMP TABLE ${TIE_PLACES} AS
      SELECT k.event_row,
        row_number() OVER (
          PARTITION BY k.event_time, k.evidence_place, k.evidence_record ORDER BY e.uid
        ) AS place
      FROM events e JOIN ${tied} k ON e.rowid = k.event_row`),
  );
}
