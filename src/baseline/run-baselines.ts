import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';
import { type GeoIpData, shippedGeoIp } from '../geoip/index.ts';
import { ACCESS_DENIED_DETECTOR } from './access-denied.ts';
import type { AnomalyRow, Detector } from './detector.ts';
import { FIRST_SEEN_DETECTORS } from './first-seen.ts';
import { IMPOSSIBLE_TRAVEL_DETECTOR } from './impossible-travel.ts';
import { NEW_KEY_DETECTOR } from './new-key-new-ip.ts';
import { BASELINE_DEFAULTS, type BaselineOptions } from './options.ts';
import { createBaselineEvents, enrichAddresses } from './prepare.ts';
import { RARE_OPERATION_DETECTOR } from './rare-operations.ts';
import { severityRank } from './severity.ts';
import { replaceAnomalies } from './store.ts';
import {
  type Anomaly,
  type AnomalyBrief,
  type BaselineSummary,
  SUMMARY_ANOMALIES,
} from './types.ts';
import { UNUSUAL_HOUR_DETECTOR } from './unusual-hours.ts';
import { VOLUME_SPIKE_DETECTOR } from './volume-spikes.ts';

/** Every detector, in the order their anomalies are listed for one time. */
export const DETECTORS: readonly Detector[] = [
  ...FIRST_SEEN_DETECTORS,
  RARE_OPERATION_DETECTOR,
  VOLUME_SPIKE_DETECTOR,
  ACCESS_DENIED_DETECTOR,
  UNUSUAL_HOUR_DETECTOR,
  IMPOSSIBLE_TRAVEL_DETECTOR,
  NEW_KEY_DETECTOR,
];

/** Inputs of `runBaselines`; every field has a default. */
export interface RunBaselinesOptions {
  thresholds?: Partial<BaselineOptions>;
  /** The GeoIP data, loaded when first needed. Default: the data shipped with cloudcase. */
  geoip?: () => GeoIpData;
  detectors?: readonly Detector[];
}

/** What `runBaselines` found, with its summary and the seconds each step took. */
export interface BaselineResult {
  anomalies: Anomaly[];
  summary: BaselineSummary;
  timings: Record<string, number>;
}

/**
 * Computes every identity's baselines from the case's events and stores the anomalies found,
 * replacing those of an earlier run. `connection` must be writable and not in use by another
 * query; it gets the temporary `baseline_events` table, dropped at the end.
 */
export async function runBaselines(
  connection: DuckDBConnection,
  options: RunBaselinesOptions = {},
): Promise<BaselineResult> {
  const thresholds = { ...BASELINE_DEFAULTS, ...options.thresholds };

  // The window queries sort every identity event within the case's memory limit and spill to
  // disk past it. On a million generated CloudTrail events that took about 1.5 CPU seconds
  // more than a 1 GB limit, and the process's peak RSS was 509 MiB instead of 980 MiB.
  return computeBaselines(connection, options, thresholds);
}

async function computeBaselines(
  connection: DuckDBConnection,
  options: RunBaselinesOptions,
  thresholds: BaselineOptions,
): Promise<BaselineResult> {
  const timings: Record<string, number> = {};
  const time = timer(timings);
  const enriched = await enrichAddresses(connection, options.geoip ?? shippedGeoIp);
  time('geoip');
  await createBaselineEvents(connection);
  time('prepare');

  const anomalies: Anomaly[] = [];
  const seen = new Set<string>();
  const truncated: BaselineSummary['truncated'] = [];
  const detect = async () => {
    for (const detector of options.detectors ?? DETECTORS) {
      const rows = await runDetector(connection, detector, thresholds);
      if (rows.length > thresholds.maxAnomaliesPerKind) {
        truncated.push(detector.kind);
        rows.length = thresholds.maxAnomaliesPerKind;
      }
      for (const row of rows) {
        const anomaly = toAnomaly(detector, row, thresholds);
        // The id is the table's primary key; a repeat would abort the whole insert.
        if (seen.has(anomaly.id)) continue;
        seen.add(anomaly.id);
        anomalies.push(anomaly);
      }
      time(detector.kind);
    }
  };
  await withCleanup(detect, () => connection.run('DROP TABLE IF EXISTS baseline_events'));
  await replaceAnomalies(connection, anomalies);
  time('store');

  return {
    anomalies,
    summary: {
      total: anomalies.length,
      by_kind: countByKind(anomalies),
      truncated,
      addresses_enriched: enriched.addresses,
      geoip_built_at: enriched.builtAt?.toISOString() ?? null,
      top: topAnomalies(anomalies),
    },
    timings,
  };
}

async function runDetector(
  connection: DuckDBConnection,
  detector: Detector,
  thresholds: BaselineOptions,
): Promise<AnomalyRow[]> {
  await detector.prepare?.(connection);
  const reader = await connection.runAndReadAll(detector.sql, detector.params(thresholds));

  return reader.getRowObjectsJS().map((row) => ({
    identity: String(row.identity),
    value: String(row.value),
    uids: Array.isArray(row.uids) ? row.uids.map(String) : [],
    event_count: Number(row.event_count),
    first_ms: Number(row.first_ms),
    last_ms: Number(row.last_ms),
    usual: Array.isArray(row.usual)
      ? row.usual.map((item) => {
          const entry = item as { value: unknown; count: unknown };
          return { value: String(entry.value), count: Number(entry.count) };
        })
      : [],
    baseline_from_ms: Number(row.baseline_from_ms),
    baseline_to_ms: Number(row.baseline_to_ms),
    baseline_events: Number(row.baseline_events),
    details: JSON.parse(String(row.details)) as AnomalyRow['details'],
  }));
}

function toAnomaly(detector: Detector, row: AnomalyRow, thresholds: BaselineOptions): Anomaly {
  const first = new Date(row.first_ms).toISOString();
  const id = createHash('sha256')
    .update(JSON.stringify([detector.kind, row.identity, row.value, first, row.uids[0] ?? null]))
    .digest('hex')
    .slice(0, 32);

  return {
    id,
    kind: detector.kind,
    severity: detector.severity,
    identity: row.identity,
    first_seen: first,
    last_seen: new Date(row.last_ms).toISOString(),
    value: row.value,
    usual: row.usual,
    baseline: {
      from: new Date(row.baseline_from_ms).toISOString(),
      to: new Date(row.baseline_to_ms).toISOString(),
      events: row.baseline_events,
    },
    details: row.details,
    explanation: detector.explain(row, thresholds),
    event_uids: row.uids,
    event_count: row.event_count,
  };
}

function topAnomalies(anomalies: readonly Anomaly[]): AnomalyBrief[] {
  const sorted = [...anomalies].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      a.first_seen.localeCompare(b.first_seen),
  );
  return sorted.slice(0, SUMMARY_ANOMALIES).map((a) => ({
    kind: a.kind,
    severity: a.severity,
    identity: a.identity,
    first_seen: a.first_seen,
    value: a.value,
    explanation: a.explanation,
  }));
}

function countByKind(anomalies: readonly Anomaly[]): BaselineSummary['by_kind'] {
  const counts: BaselineSummary['by_kind'] = {};
  for (const anomaly of anomalies) counts[anomaly.kind] = (counts[anomaly.kind] ?? 0) + 1;
  return counts;
}

function timer(timings: Record<string, number>): (step: string) => void {
  let last = performance.now();
  return (step) => {
    const now = performance.now();
    timings[step] = Math.round(now - last) / 1000;
    last = now;
  };
}
