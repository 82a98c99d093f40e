/**
 * Wall-clock times of logs that carry no zone (classic BSD syslog), read in the case's IANA time
 * zone. The zone's offset is looked up with `Intl` once per hour of wall-clock time, since a
 * stream of such lines moves through few hours.
 */

/** Options of the stream a format reads, from the case. */
export interface RecordContext {
  /** IANA zone for times written without one, such as `Europe/Berlin`; `UTC` by default. */
  timezone: string;
  /**
   * Base name of the file or archive member read, when known. Some logs name their account or
   * region only there, such as VPC flow log files delivered to S3.
   */
  fileName?: string;
  /**
   * Path of the file or archive member read, with its folders as the input names them, when
   * known. A CloudWatch Logs export names its log stream in a folder.
   */
  filePath?: string;
}

/** The context of a stream read outside a case: times without a zone are UTC. */
export const UTC_CONTEXT: RecordContext = { timezone: 'UTC' };

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const HOUR_MS = 3_600_000;

/** Converts wall-clock times of one zone to UTC instants. */
export class ZonedClock {
  readonly zone: string;
  readonly #format: Intl.DateTimeFormat | null;
  readonly #offsets = new Map<number, number>();

  /** Raises a RangeError when `zone` is no IANA zone (see `isTimeZone`). */
  constructor(zone: string) {
    this.zone = zone;
    this.#format =
      zone === 'UTC'
        ? null
        : new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
  }

  /**
   * The UTC instant, in epoch milliseconds, of a wall-clock time in the zone (month 0–11). In
   * the hour a daylight-saving change repeats, the earlier instant is taken; a time the change
   * skips is read with the offset from before the change.
   */
  toUtc(year: number, month: number, day: number, hour: number, minute: number, second: number) {
    const wall = Date.UTC(year, month, day, hour, minute, second);
    if (this.#format === null) return wall;

    // A zone changes its offset at most once within a day here, so the offsets a day before
    // and a day after give every instant that shows this wall time.
    const before = wall - this.#offsetAt(wall - 24 * HOUR_MS);
    const after = wall - this.#offsetAt(wall + 24 * HOUR_MS);
    const shows = (instant: number) => instant + this.#offsetAt(instant) === wall;
    if (shows(before) && shows(after)) return Math.min(before, after);
    if (shows(after)) return after;
    return before;
  }

  /** The zone's offset from UTC, in milliseconds, at a UTC instant. */
  #offsetAt(instant: number): number {
    const hour = Math.floor(instant / HOUR_MS);
    const cached = this.#offsets.get(hour);
    if (cached !== undefined) return cached;

    const parts: Record<string, number> = {};
    for (const part of (this.#format as Intl.DateTimeFormat).formatToParts(hour * HOUR_MS)) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    const asUtc = Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    );
    const offset = asUtc - hour * HOUR_MS;
    if (this.#offsets.size > 10_000) this.#offsets.clear();
    this.#offsets.set(hour, offset);
    return offset;
  }
}
