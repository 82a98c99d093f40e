/**
 * A fold of the `events` table that shows whether something computed from the events still
 * describes them: their count and the XOR of a hash of some columns of each row. Adding,
 * removing or replacing events changes it, and so does an edit of a folded column.
 */

/**
 * Returns the SELECT list of the fold over `columns` (with `uid` first), giving two columns: the
 * count of events and the folded hash, NULL for no events. Reading `uid` alone took 0.05 CPU s
 * for a million events, and five short columns beside it about as much (DuckDB 1.5, 2-core EPYC).
 */
export function eventsFoldSql(columns: readonly string[] = ['uid']): string {
  return `count(*), bit_xor(hash(${columns.join(', ')}))`;
}
