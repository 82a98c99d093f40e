/**
 * Groups the deletions of objects from trail buckets into wipes, one finding each. A wipe is the
 * `DeleteObject` and `DeleteObjects` calls on one bucket of one account with no quiet time longer
 * than `WIPE_QUIET_MS` between them. So a slow wipe of 20,000 log files, one every 6 minutes, is
 * one finding and not 20,000.
 */
import { text } from './call-fields.ts';
import type { LoggingCall } from './logging-calls.ts';
import type { GapFinding } from './types.ts';

/** Lower-case names of the operations that delete S3 objects. */
export const OBJECT_DELETIONS: ReadonlySet<string> = new Set(['deleteobject', 'deleteobjects']);

/**
 * A deletion this long after the previous deletion in the same bucket starts a new wipe, in ms.
 * An hour is also the shortest silence that the silence check reports. An intruder who deletes
 * each log file soon after its delivery stays in one wipe, and wipes hours apart stay apart.
 */
export const WIPE_QUIET_MS = 60 * 60_000;

/** Maximum number of deletions whose uids a wipe finding lists: the first 50 and the last. */
export const MAX_WIPE_UIDS = 51;

/** Maximum number of identities a wipe finding names. */
const MAX_WIPE_ACTORS = 5;

/** A wipe in progress: the first deletion and what followed it, in bounded memory. */
interface Wipe {
  first: LoggingCall;
  bucket: string;
  last: string;
  lastMs: number;
  /** Calls by lower-case operation, `deleteobject` and `deleteobjects`. */
  calls: Map<string, number>;
  /** Uids of the first deletions, up to `MAX_WIPE_UIDS - 1`. */
  uids: string[];
  lastUid: string;
  actors: string[];
  /** Calls by identities beyond the first `MAX_WIPE_ACTORS`, or by no named identity. */
  otherActorCalls: number;
}

/**
 * Collects the object deletions of trail buckets, in time order, and returns one finding per
 * wipe. Memory grows with the buckets and the wipes, not with the deletions.
 *
 * A wipe is keyed by bucket, not by identity: an intruder may switch access keys or role
 * sessions while deleting, and the responder needs one finding for the bucket that names them.
 */
export class LogWipes {
  readonly #open = new Map<string, Wipe>();
  readonly #closed: GapFinding[] = [];

  /** Adds one successful object deletion; calls must come in time order. */
  add(call: LoggingCall): void {
    const bucket = text(call.request.bucketName);
    if (bucket === null || !OBJECT_DELETIONS.has(call.op)) return;

    const key = JSON.stringify([call.source, call.account, bucket]);
    const time = Date.parse(call.time);
    const wipe = this.#open.get(key);
    if (wipe === undefined || time - wipe.lastMs > WIPE_QUIET_MS) {
      if (wipe !== undefined) this.#closed.push(wipeFinding(wipe));
      this.#open.set(key, startWipe(call, bucket, time));
      return;
    }
    wipe.last = call.time;
    wipe.lastMs = time;
    wipe.lastUid = call.uid;
    wipe.calls.set(call.op, (wipe.calls.get(call.op) ?? 0) + 1);
    if (wipe.uids.length < MAX_WIPE_UIDS - 1) wipe.uids.push(call.uid);
    addActor(wipe, call.actor);
  }

  /** Returns the findings of every wipe, those still open included, by start time. */
  findings(): GapFinding[] {
    const open = [...this.#open.values()].map(wipeFinding);
    return [...this.#closed, ...open].sort((a, b) => a.start.localeCompare(b.start));
  }
}

function startWipe(call: LoggingCall, bucket: string, time: number): Wipe {
  const wipe: Wipe = {
    first: call,
    bucket,
    last: call.time,
    lastMs: time,
    calls: new Map([[call.op, 1]]),
    uids: [call.uid],
    lastUid: call.uid,
    actors: [],
    otherActorCalls: 0,
  };
  addActor(wipe, call.actor);
  return wipe;
}

function addActor(wipe: Wipe, actor: string | null): void {
  if (actor !== null && wipe.actors.includes(actor)) return;
  if (actor !== null && wipe.actors.length < MAX_WIPE_ACTORS) wipe.actors.push(actor);
  else wipe.otherActorCalls++;
}

function wipeFinding(wipe: Wipe): GapFinding {
  const { first } = wipe;
  const total = [...wipe.calls.values()].reduce((sum, n) => sum + n, 0);
  const key = text(first.request.key);
  const batches = wipe.calls.get('deleteobjects') ?? 0;
  const summary =
    total === 1
      ? `${first.operation} at ${first.time}${first.actor ? ` by ${first.actor}` : ''}: ` +
        `log objects were deleted (${key ? `${wipe.bucket}/${key}` : wipe.bucket}).`
      : `${count(total)} calls deleted log objects in trail bucket ${wipe.bucket} from ` +
        `${first.time} to ${wipe.last} (${operations(wipe.calls)})${actors(wipe)}.`;
  const unlisted =
    batches > 0
      ? ' A DeleteObjects call deletes up to 1,000 objects, and CloudTrail does not record their keys.'
      : '';

  return {
    kind: 'logs_deleted',
    severity: 'high',
    source: first.source,
    account: first.account,
    region: first.region,
    resource: total === 1 && key ? `${wipe.bucket}/${key}` : wipe.bucket,
    start: first.time,
    end: wipe.last,
    event_uids: total < MAX_WIPE_UIDS ? wipe.uids : [...wipe.uids, wipe.lastUid],
    summary,
    cannot_see: `The deleted logs, whatever period they held, unless a copy exists elsewhere.${unlisted}`,
  };
}

// "19,999 DeleteObject, 1 DeleteObjects", in the order the operations first occurred.
function operations(calls: ReadonlyMap<string, number>): string {
  const names: Record<string, string> = {
    deleteobject: 'DeleteObject',
    deleteobjects: 'DeleteObjects',
  };
  return [...calls].map(([op, n]) => `${count(n)} ${names[op] ?? op}`).join(', ');
}

// " by a, b and by other or unnamed identities in 12 calls", or "" when no call names one.
function actors(wipe: Wipe): string {
  if (wipe.actors.length === 0) return '';
  const others = wipe.otherActorCalls;
  const named = wipe.actors.join(', ');
  return others === 0
    ? ` by ${named}`
    : ` by ${named} and by other or unnamed identities in ${count(others)} ` +
        `${others === 1 ? 'call' : 'calls'}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
