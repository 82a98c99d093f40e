import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initCase } from '../case/index.ts';
import { CaseDb } from '../store/index.ts';
import type { Finding } from '../store/types.ts';
import { overview, ruleRows, SHOWN_RULE_ACTORS, severityTotals } from './overview-api.ts';

let caseDir = '';
let db: CaseDb | null = null;

afterEach(async () => {
  await db?.close();
  db = null;
  await rm(caseDir, { recursive: true, force: true });
});

async function openCase(reportFields: [string, string][]): Promise<CaseDb> {
  caseDir = await mkdtemp(path.join(os.tmpdir(), 'cloudcase-overview-'));
  await initCase(
    caseDir,
    { analyst: 'ana' },
    {
      discovered_at: '2024-05-16T01:00:00.000Z',
      report_fields: reportFields as never,
    },
  );
  db = await CaseDb.open(caseDir);
  return db;
}

describe('overview reporting clocks', () => {
  it('counts 72 hours from discovery until reported', async () => {
    const data = await overview(await openCase([['reported_at', '2024-05-18T09:00:00Z']]));
    const [clock, ...others] = data.reporting.deadlines;

    expect(others).toEqual([]);
    expect(clock?.id).toBe('incident_report');
    expect(clock?.due_at).toBe('2024-05-19T01:00:00.000Z');
    expect(clock?.reported_at).toBe('2024-05-18T09:00:00.000Z');
    expect(clock?.state).toBe('met');
  });

  it('adds the 24-hour ransom payment clock', async () => {
    const data = await overview(await openCase([['ransom_payment_at', '2024-05-17T12:00:00Z']]));
    const ids = data.reporting.deadlines.map((clock) => clock.id);
    const ransom = data.reporting.deadlines[1];

    expect(ids).toEqual(['incident_report', 'ransom_payment_report']);
    expect(ransom?.due_at).toBe('2024-05-18T12:00:00.000Z');
    expect(ransom?.state).toBe('overdue');
    expect(data.reporting.deadlines[0]?.state).toBe('overdue');
  });
});

describe('severity totals', () => {
  it('counts rules and takes event counts', () => {
    const finding = (severity: string) => ({ severity }) as unknown as Finding;
    const events = { informational: 0, low: 1, medium: 0, high: 3, critical: 0 };
    const totals = severityTotals([finding('high'), finding('high'), finding('low')], events);

    expect(totals.high).toEqual({ rules: 2, events: 3 });
    expect(totals.low).toEqual({ rules: 1, events: 1 });
    expect(totals.critical).toEqual({ rules: 0, events: 0 });
  });
});

describe('detections ruleRows', () => {
  it('sends the first actors and counts all', () => {
    const actors = Array.from({ length: 1000 }, (_, i) => `sprayed-${i}`);
    const finding = { rule_id: 'r', event_count: 1000, actors } as unknown as Finding;
    const [row] = ruleRows([finding]);

    expect(row?.actors).toEqual(actors.slice(0, SHOWN_RULE_ACTORS));
    expect(row?.actor_count).toBe(1000);
    expect(row?.events).toBe(1000);
  });
});
