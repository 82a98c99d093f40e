import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.ts';
import { pantherLogTypes, renderLogTypeTable } from './support/panther-table.ts';

describe('Panther rule test events by log type', () => {
  it('keeps the docs table current', async () => {
    const rows = await pantherLogTypes();
    const kept = readFileSync(path.join(ROOT, 'docs/panther-log-types.md'), 'utf8');

    expect(renderLogTypeTable(rows)).toBe(kept);
  });

  it('accounts for every supported test event', async () => {
    const rows = await pantherLogTypes();
    const supported = rows.filter((row) => row.format !== null);

    expect(supported.map((row) => row.logType)).toEqual(
      expect.arrayContaining(['AWS.CloudTrail', 'GCP.AuditLog', 'Okta.SystemLog', 'GitHub.Audit']),
    );
    for (const row of supported) {
      expect(row.events + row.rejected).toBe(row.tests);
      const reasons = Object.values(row.reasons).reduce((sum, count) => sum + count, 0);
      expect(reasons).toBe(row.rejected);
    }
  });
});
