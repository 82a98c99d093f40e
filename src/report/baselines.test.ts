import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../baseline/index.ts';
import { CaseDb } from '../store/index.ts';
import {
  type BaselineReport,
  baselineHtml,
  baselineMarkdown,
  baselineSummaryLine,
  loadBaselineReport,
} from './baselines.ts';

const anomaly: Anomaly = {
  id: 'a1',
  kind: 'new_country',
  severity: 'medium',
  identity: 'arn:aws:iam::111122223333:user/<script>alert(1)</script>|x',
  first_seen: '2024-05-16T01:47:00.000Z',
  last_seen: '2024-05-16T01:50:00.000Z',
  value: 'RO\u001b[31m',
  usual: [{ value: 'GB', count: 43 }],
  baseline: { from: '2024-05-13T08:05:00.000Z', to: '2024-05-14T08:05:00.000Z', events: 43 },
  details: { prior_events: 182 },
  explanation: 'First use of country RO at 2024-05-16T01:47Z.',
  event_uids: ['u1'],
  event_count: 1,
};

const report: BaselineReport = { counts: { new_country: 1 }, total: 1, anomalies: [anomaly] };

describe('baseline report section', () => {
  it('escapes identities and values in HTML', () => {
    const html = baselineHtml(report);

    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('\u001b');
    expect(html).toContain('<td class="medium">medium</td>');
  });

  it('keeps Markdown table cells intact', () => {
    const lines = baselineMarkdown(report);
    const row = lines.find((line) => line.includes('new_country') && line.startsWith('| medium'));

    expect(row).toBeDefined();
    expect(row).toContain('\\|x');
    expect(row).not.toContain('\u001b');
    expect(lines).toContain('Anomalies: 1 (new_country 1).');
  });

  it('says when anomalies were cut', () => {
    const many: BaselineReport = { counts: { new_country: 600 }, total: 600, anomalies: [anomaly] };

    expect(baselineMarkdown(many)).toContain(
      'Anomalies: 600 (new_country 600). The first 1 are listed.',
    );
  });

  it('summarises counts in one terminal line', () => {
    expect(baselineSummaryLine(report)).toBe(
      'Baseline anomalies (1): new_country 1; see reports/report.md',
    );
    expect(baselineSummaryLine({ counts: {}, total: 0, anomalies: [] })).toBe(
      'Baseline anomalies: none',
    );
  });

  it('reads a case without the anomalies table', async () => {
    const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-report-'));
    try {
      const writable = await CaseDb.open(caseDir);
      const connection = await writable.connect();
      await connection.run('DROP TABLE anomalies');
      connection.closeSync();
      await writable.close();

      const db = await CaseDb.openReadOnly(caseDir);
      const loaded = await loadBaselineReport(db).finally(() => db.close());

      expect(loaded).toEqual({ counts: {}, total: 0, anomalies: [] });
    } finally {
      await rm(caseDir, { recursive: true, force: true });
    }
  });
});
