import { describe, expect, it } from 'vitest';
import { EMPTY_TABLE_DIGEST } from '../store/findings-digests.ts';
import type { FindingsRecord } from './findings-records.ts';
import type { VerifyProblem } from './types.ts';
import { checkFindings, type StoredFindings } from './verify-findings.ts';

function stored(tables: Record<string, [number, string]>, unreadable = {}): StoredFindings {
  const digests = Object.entries(tables).map(([name, [rows, digest]]) => [name, { rows, digest }]);
  return {
    tables: new Map(digests as [string, { rows: number; digest: string }][]),
    unreadable: new Map(Object.entries(unreadable)),
  };
}

function recorded(tables: Record<string, [number, string]>): FindingsRecord {
  const digests = Object.entries(tables).map(([name, [rows, digest]]) => [name, { rows, digest }]);
  return {
    seq: 7,
    command: 'hunt',
    tables: new Map(digests as [string, { rows: number; digest: string }][]),
    changedBeforeRun: [],
  };
}

function problemsOf(record: FindingsRecord | null, found: StoredFindings): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  checkFindings(record, found, problems);
  return problems;
}

describe('checkFindings', () => {
  it('passes on equal tables', () => {
    const tables: Record<string, [number, string]> = { detections: [3, 'a'], rules: [1, 'b'] };

    expect(problemsOf(recorded(tables), stored(tables))).toEqual([]);
  });

  it('reports findings without an entry', () => {
    const found = stored({ detections: [3, 'a'], anomalies: [0, EMPTY_TABLE_DIGEST] });
    const problems = problemsOf(null, found);

    expect(problems.map((p) => p.code)).toEqual(['database_findings_unrecorded']);
    expect(problems[0]?.message).toContain('3 rows of detections');
    expect(problems[0]?.message).not.toContain('anomalies');
  });

  it('passes without an entry or findings', () => {
    expect(problemsOf(null, stored({ detections: [0, EMPTY_TABLE_DIGEST] }))).toEqual([]);
  });

  it('names added, edited and unreadable tables', () => {
    const record = recorded({ detections: [3, 'a'], rules: [1, 'b'], anomalies: [2, 'c'] });
    const found = stored(
      { detections: [4, 'x'], rules: [1, 'y'] },
      { anomalies: 'Binder Error: column "kind" not found' },
    );
    const problems = problemsOf(record, found);

    expect(problems.map((p) => [p.code, p.table, p.seq])).toEqual([
      ['database_findings_changed', 'detections', 7],
      ['database_findings_changed', 'rules', 7],
      ['database_findings_changed', 'anomalies', 7],
    ]);
    expect(problems[0]?.message).toContain('holds 4 rows of detections');
    expect(problems[0]?.message).toContain('records 3: rows were added since');
    expect(problems[1]?.message).toContain('content differs');
    expect(problems[2]?.message).toContain('cannot be read');
  });

  it('skips a table this version does not digest', () => {
    const record = recorded({ detections: [3, 'a'], future_table: [9, 'z'] });

    expect(problemsOf(record, stored({ detections: [3, 'a'] }))).toEqual([]);
  });
});
