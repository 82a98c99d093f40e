/**
 * Bounds on event times: a time outside them is a parse of something that is no time, such as
 * an epoch of 12345 or the year 5138, and would stretch every time range of the case.
 */
import type { NormalizeError } from './types.ts';

/** Earliest event time accepted: 1990-01-01, before any cloud provider kept logs. */
export const EARLIEST_EVENT_TIME = Date.UTC(1990, 0, 1);

/** How far past the ingest time an event may lie, for clocks that run ahead: one year. */
export const FUTURE_TOLERANCE_MS = 366 * 24 * 3600 * 1000;

/** Returns why an event time is implausible, or `null` when it is within the bounds. */
export function implausibleTime(time: string, now: number = Date.now()): NormalizeError | null {
  const instant = Date.parse(time);
  if (Number.isNaN(instant))
    return { code: 'invalid_time', reason: 'the event time is not a valid instant' };
  if (instant < EARLIEST_EVENT_TIME) {
    return { code: 'implausible_time', reason: 'the event time is before 1990' };
  }
  if (instant > now + FUTURE_TOLERANCE_MS) {
    return {
      code: 'implausible_time',
      reason: 'the event time is more than a year after the ingest time',
    };
  }
  return null;
}
