/**
 * Warns when the evidence of a source covers less than 90 days before the incident was
 * discovered while the provider keeps more by default, so more logs can still be collected.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { MIN_RETENTION_DAYS } from './logging-retention.ts';
import type { RetentionWarning } from './types.ts';

const DAY_MS = 86_400_000;

/**
 * Days a provider keeps each source's logs by default, where it keeps them at all, and where
 * to collect them. Sources missing here (flow logs, access logs, host logs) are kept as long
 * as the customer configured.
 * NOTE: defaults as documented by each provider in 2024; licences and settings change them.
 */
const PROVIDER_RETENTION: Readonly<Record<string, { days: number; where: string }>> = {
  'aws.cloudtrail': {
    days: 90,
    where: 'CloudTrail event history (`aws cloudtrail lookup-events`, management events only)',
  },
  'gcp.audit': { days: 400, where: 'the _Required log bucket (Admin Activity audit logs)' },
  'azure.activity': { days: 90, where: 'the Azure Activity Log' },
  'm365.audit': { days: 180, where: 'Microsoft Purview Audit (Standard)' },
  'okta.system': { days: 90, where: 'the Okta System Log API' },
  'github.audit': { days: 180, where: 'the GitHub audit log (Git events: 7 days)' },
};

const SQL = `SELECT source, epoch_ms(min(time)) AS first_t, count(*) AS events
FROM events GROUP BY source ORDER BY source`;

/**
 * Lists, for each source whose first event falls less than 90 days before `discoveredAt`, how
 * many days it covers, and where the provider keeps more.
 */
export async function coverageWarnings(
  connection: DuckDBConnection,
  discoveredAt: string | null,
): Promise<RetentionWarning[]> {
  if (discoveredAt === null) return [];
  const discovered = Date.parse(discoveredAt);
  if (Number.isNaN(discovered)) return [];

  const rows = (await connection.runAndReadAll(SQL)).getRowObjectsJS();
  const warnings: RetentionWarning[] = [];
  for (const row of rows) {
    const source = String(row.source);
    const days = Math.max(0, Math.floor((discovered - Number(row.first_t)) / DAY_MS));
    if (days >= MIN_RETENTION_DAYS) continue;

    const kept = PROVIDER_RETENTION[source];
    const more =
      kept && kept.days > days
        ? ` The provider keeps ${kept.days} days in ${kept.where}: collect the rest before it ages out.`
        : ' Check how long the source keeps its logs and collect what is older.';
    warnings.push({
      source,
      kind: 'coverage',
      message:
        `The ${source} evidence starts ${days} days before discovery (${discoveredAt}), ` +
        `less than ${MIN_RETENTION_DAYS}.${more}`,
      days,
      event_uids: [],
    });
  }

  return warnings;
}
