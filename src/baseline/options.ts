/** Thresholds of the baseline queries. Every field has a default in `BASELINE_DEFAULTS`. */
export interface BaselineOptions {
  /** Length of an identity's baseline window from its first event, in ms. Default 24 h. */
  baselineMs: number;
  /** Earlier events an identity must have before a value counts as new. Default 1. */
  minBaselineEvents: number;
  /** Time after a new value's first event in which its later events join the anomaly, in ms. Default 24 h. */
  followUpMs: number;
  /** Event uids kept per anomaly. Default 100. */
  maxEventsPerAnomaly: number;
  /** Anomalies kept per kind, the earliest first. Default 1000. */
  maxAnomaliesPerKind: number;
  /** A rare operation is one the identity called at most this often in the case. Default 2. */
  rareMaxCount: number;
  /** Events an identity needs in the case before any of its operations counts as rare. Default 200. */
  rareMinEvents: number;
  /** Active hours (hours with an event) an identity needs before a spike is judged. Default 12. */
  spikeMinActiveHours: number;
  /** Events in one clock hour below which no hour is a spike. Default 50. */
  spikeMinEvents: number;
  /** Modified z-score, 0.6745 × (count − median) / MAD, above which an hour is a spike. Default 3.5. */
  spikeMinScore: number;
  /** Length of the buckets in which access-denied errors are counted, in minutes. Default 10. */
  deniedBucketMinutes: number;
  /** Denied calls in one bucket below which no bucket is a burst. Default 10. */
  deniedMinCount: number;
  /** A burst has at least this many times the identity's median denied calls per active bucket. Default 5. */
  deniedMinRatio: number;
  /** Earlier UTC days with activity an identity needs before an hour counts as unusual. Default 3. */
  hourMinBaselineDays: number;
  /** Earlier events an identity needs before an hour counts as unusual. Default 50. */
  hourMinBaselineEvents: number;
  /** An hour of the day is unusual when at most this share of earlier events fell in it, 0 to 1. Default 0.01. */
  hourMaxShare: number;
  /** Events in the clock hour below which it is not reported. Default 3. */
  hourMinEvents: number;
  /** Distance below which two places are not travel, in km; city coordinates are approximate. Default 500. */
  travelMinKm: number;
  /** Speed above which travel between two places is impossible, in km/h. Default 1000. */
  travelMaxKmh: number;
  /** Time after an access key's creation in which its use from a new address is reported, in ms. Default 1 h. */
  newKeyWindowMs: number;
}

const HOUR_MS = 3_600_000;

/** The default thresholds. */
export const BASELINE_DEFAULTS: Readonly<BaselineOptions> = {
  baselineMs: 24 * HOUR_MS,
  minBaselineEvents: 1,
  followUpMs: 24 * HOUR_MS,
  maxEventsPerAnomaly: 100,
  maxAnomaliesPerKind: 1000,
  rareMaxCount: 2,
  rareMinEvents: 200,
  spikeMinActiveHours: 12,
  spikeMinEvents: 50,
  spikeMinScore: 3.5,
  deniedBucketMinutes: 10,
  deniedMinCount: 10,
  deniedMinRatio: 5,
  hourMinBaselineDays: 3,
  hourMinBaselineEvents: 50,
  hourMaxShare: 0.01,
  hourMinEvents: 3,
  travelMinKm: 500,
  travelMaxKmh: 1000,
  newKeyWindowMs: HOUR_MS,
};
