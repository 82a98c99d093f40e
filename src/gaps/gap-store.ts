/** Keeps the latest gap analysis of a case in `case.duckdb`, for the reports. */
import type { CaseDb } from '../store/case-db.ts';
import { inTransaction } from '../store/transaction.ts';
import type { GapReport } from './types.ts';

/** Replaces the stored gap analysis with `report`. */
export async function saveGapReport(db: CaseDb, report: GapReport): Promise<void> {
  const connection = await db.connect();
  try {
    await inTransaction(connection, async () => {
      await connection.run('DELETE FROM gap_reports');
      await connection.run('INSERT INTO gap_reports VALUES ($time, $report)', {
        time: report.generated_at.replace('T', ' ').replace('Z', ''),
        report: JSON.stringify(report),
      });
    });
  } finally {
    connection.closeSync();
  }
}

/** Returns the stored gap analysis, or `null` when the case has none yet. */
export async function readGapReport(db: CaseDb): Promise<GapReport | null> {
  const connection = await db.connect();
  try {
    // A case opened read-only that was written before gap analyses were stored has no table.
    const tables = await connection.runAndReadAll(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'gap_reports'",
    );
    if (Number(tables.getRowObjectsJS()[0]?.n ?? 0) === 0) return null;
    const reader = await connection.runAndReadAll(
      'SELECT report::VARCHAR AS report FROM gap_reports ORDER BY generated_at DESC LIMIT 1',
    );
    const row = reader.getRowObjectsJS()[0];
    return row ? (JSON.parse(String(row.report)) as GapReport) : null;
  } finally {
    connection.closeSync();
  }
}
