import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseDb } from '../store/index.ts';
import { runBaselines } from './run-baselines.ts';
import { countAnomalies, readAnomalies } from './store.ts';
import { at, calls, FAR, officeDays, TEST_GEOIP } from './test-case.ts';

describe('baseline run', () => {
  it('stores anomalies and replaces them on a re-run', async () => {
    const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-baseline-'));
    const db = await CaseDb.open(caseDir);
    try {
      const writer = await db.eventWriter();
      for (const event of calls([...officeDays(3), { time: at(73), ip: FAR }]))
        writer.append(event);
      await writer.close();
      const connection = await db.connect();

      const first = await runBaselines(connection, { geoip: () => TEST_GEOIP });
      const again = await runBaselines(connection, { geoip: () => TEST_GEOIP });
      const stored = await readAnomalies(connection);
      const counts = await countAnomalies(connection);
      connection.closeSync();

      expect(first.summary.by_kind).toEqual({ new_source_ip: 1, new_network: 1, new_country: 1 });
      expect(again.summary.total).toBe(3);
      expect(stored.map((a) => a.kind).sort()).toEqual([
        'new_country',
        'new_network',
        'new_source_ip',
      ]);
      expect(stored.find((a) => a.kind === 'new_country')).toEqual(
        first.anomalies.find((a) => a.kind === 'new_country'),
      );
      expect(counts).toEqual({ new_country: 1, new_network: 1, new_source_ip: 1 });
      expect(first.summary.addresses_enriched).toBe(2);
      expect(first.summary.top[0]?.severity).toBe('medium');
    } finally {
      await db.close();
      await rm(caseDir, { recursive: true, force: true });
    }
  });

  it('keeps the earliest anomalies of a kind past the limit', async () => {
    const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-baseline-'));
    const db = await CaseDb.open(caseDir);
    try {
      const writer = await db.eventWriter();
      const regions = ['ap-south-1', 'sa-east-1', 'us-west-2'].map((region, i) => ({
        time: at(73 + i),
        region,
      }));
      for (const event of calls([...officeDays(3), ...regions])) writer.append(event);
      await writer.close();
      const connection = await db.connect();

      const result = await runBaselines(connection, {
        geoip: () => TEST_GEOIP,
        thresholds: { maxAnomaliesPerKind: 2 },
      });
      connection.closeSync();

      const values = result.anomalies.filter((a) => a.kind === 'new_region').map((a) => a.value);
      expect(values).toEqual(['ap-south-1', 'sa-east-1']);
      expect(result.summary.truncated).toEqual(['new_region']);
    } finally {
      await db.close();
      await rm(caseDir, { recursive: true, force: true });
    }
  });
});
