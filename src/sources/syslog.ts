import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Actor,
  type Category,
  type Endpoint,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Status,
} from '../core/event.ts';
import { UTC_CONTEXT, ZonedClock } from './local-time.ts';
import { clipPart } from './message.ts';
import {
  headLines,
  type LineParse,
  type LineParser,
  RAW_LINE_KEY,
  scanTextRecords,
  scoreLines,
} from './text-lines.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// RFC 3164: `<PRI>Mmm dd hh:mm:ss host tag[pid]: message`, the priority optional.
const BSD = /^(?:<(\d{1,3})>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) ?(.*)$/;
// RFC 5424: `<PRI>1 timestamp host app procid msgid structured-data message`.
const IETF = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(.*)$/;
// rsyslog's high-precision layout: an RFC 3339 time in place of the BSD one.
const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) (\S+) ?(.*)$/;
// `tag[pid]: message` or `tag: message`; the tag has no space, colon or bracket.
const TAG = /^([^\s:[\]]{1,64})(?:\[(\d{1,10})\])?:\s*(.*)$/;
const SNIFF_LINES = 5;
// A date this many milliseconds ahead of the reference time is taken to be from the year before.
const FUTURE_SLACK_MS = 2 * 24 * 3600 * 1000;

/** The fields a syslog line is parsed into; `raw` keeps them with the line itself. */
interface SyslogFields {
  time: string;
  /** Set when the line had no year and the year was inferred. */
  year_inferred?: number;
  /** Set when the line had no zone: the IANA zone its time was read in, the case's. */
  zone_assumed?: string;
  priority: number | null;
  host: string;
  app: string | null;
  pid: string | null;
  message: string;
}

/**
 * Infers the year of BSD syslog lines, which carry none. The first line gets the latest year
 * that does not put it more than two days after the reference time (the ingest time). Each
 * later line whose month falls before the previous line's starts the next year, as at New Year.
 */
export class YearInference {
  readonly #reference: number;
  #year: number | null = null;
  #month = -1;

  constructor(referenceTime: number = Date.now()) {
    this.#reference = referenceTime;
  }

  yearOf(month: number, day: number, hour: number): number {
    if (this.#year === null) {
      const year = new Date(this.#reference).getUTCFullYear();
      const candidate = Date.UTC(year, month, day, hour);
      this.#year = candidate - this.#reference > FUTURE_SLACK_MS ? year - 1 : year;
    } else if (month < this.#month) {
      this.#year += 1;
    }
    this.#month = month;
    return this.#year;
  }
}

/** Parses syslog lines of one stream, keeping the year inference between lines. */
export class SyslogLineParser implements LineParser {
  readonly #years: YearInference;
  readonly #clock: ZonedClock;

  /** `clock` reads the times of lines that carry no zone; UTC unless the case has another. */
  constructor(years: YearInference = new YearInference(), clock = new ZonedClock('UTC')) {
    this.#years = years;
    this.#clock = clock;
  }

  parse(line: string): LineParse {
    const fields = parseSyslogLine(line, this.#years, this.#clock);
    if (fields === null) {
      return { kind: 'rejected', code: 'not_syslog', reason: 'the line is no syslog line' };
    }
    return { kind: 'record', value: { ...fields, [RAW_LINE_KEY]: line } };
  }
}

/** Parses one line in any of the three layouts, or returns null. */
export function parseSyslogLine(
  line: string,
  years: YearInference,
  clock: ZonedClock,
): SyslogFields | null {
  const ietf = IETF.exec(line);
  if (ietf !== null) {
    const [, pri, stamp, host, app, pid, , , message] = ietf;
    const time = parseTimestamp(stamp);
    if (time === null) return null;
    return {
      time,
      priority: Number(pri),
      host: host ?? '-',
      app: app === '-' ? null : (app ?? null),
      pid: pid === '-' ? null : (pid ?? null),
      message: (message ?? '').replace(/^\uFEFF/, ''),
    };
  }

  const iso = ISO.exec(line);
  if (iso !== null) {
    const [, stamp, host, rest] = iso;
    const time = parseTimestamp(stamp);
    if (time === null) return null;
    return { time, priority: null, host: host ?? '-', ...tagged(rest ?? '') };
  }

  const bsd = BSD.exec(line);
  if (bsd === null) return null;
  const [, pri, monthName, day, hour, minute, second, host, rest] = bsd;
  const month = MONTHS.indexOf(monthName ?? '');
  if (month < 0) return null;
  // Checked against a leap year before the year is inferred, so that an impossible date such
  // as Feb 30 leaves the inference untouched.
  const leap = new Date(Date.UTC(2000, month, Number(day)));
  if (
    leap.getUTCMonth() !== month ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 60
  ) {
    return null;
  }
  const year = years.yearOf(month, Number(day), Number(hour));
  // Feb 29 passes the leap-year check above and fails here in other years.
  if (new Date(Date.UTC(year, month, Number(day))).getUTCMonth() !== month) return null;
  const instant = clock.toUtc(
    year,
    month,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  return {
    time: new Date(instant).toISOString(),
    year_inferred: year,
    zone_assumed: clock.zone,
    priority: pri === undefined ? null : Number(pri),
    host: host ?? '-',
    ...tagged(rest ?? ''),
  };
}

function tagged(rest: string): Pick<SyslogFields, 'app' | 'pid' | 'message'> {
  const tag = TAG.exec(rest);
  if (tag === null) return { app: null, pid: null, message: rest };
  return { app: tag[1] ?? null, pid: tag[2] ?? null, message: tag[3] ?? '' };
}

function looksLikeSyslog(line: string): boolean {
  return (
    IETF.test(line) ||
    ISO.test(line) ||
    (BSD.test(line) && MONTHS.includes(line.replace(/^<\d+>/, '').slice(0, 3)))
  );
}

/**
 * Syslog text: RFC 3164 (BSD) lines as `/var/log/auth.log`, `secure`, `messages` and `syslog`
 * hold them, RFC 5424 lines, and rsyslog's RFC 3339 layout. sshd, sudo and su messages become
 * sign-ins and commands with their user and source address; other lines are kept as host
 * events. BSD lines carry no year and no zone: the year is inferred (see `YearInference`) and
 * kept in `raw.year_inferred`, and the time is read in the case's time zone, kept in
 * `raw.zone_assumed`.
 */
export const syslog: SourceFormat = {
  id: 'host.syslog',
  description: 'Syslog and auth logs (RFC 3164, RFC 5424): sshd, sudo and su on Linux hosts',
  example: '/var/log/auth.log',
  logCategory: 'compute',
  alsoCovers: ['identity'],
  sniff: (head: Buffer, name: string): number => {
    const score = scoreLines(headLines(head, SNIFF_LINES), looksLikeSyslog, 0.75);
    if (score > 0 && /(auth|secure|syslog|messages)(\.\d+)?(\.log)?$/i.test(name))
      return score + 0.1;
    return score;
  },
  records: (input: Readable, context = UTC_CONTEXT): AsyncIterable<RecordResult> =>
    scanTextRecords(
      input,
      new SyslogLineParser(new YearInference(), new ZonedClock(context.timezone)),
    ),
  normalize: normalizeSyslog,
};

/** The security meaning of an sshd, sudo or su message: a sign-in, a command or an su. */
interface Activity {
  category: Category;
  class_uid: number;
  class_name: string;
  activity: string;
  status: Status;
  detail: string | null;
  user: string | null;
  src: string | null;
  port: number | null;
  operation: string;
  target: string | null;
}

const SSH_RESULT =
  /^(Accepted|Failed) (password|publickey|keyboard-interactive\/pam|gssapi-with-mic|none|hostbased) for (invalid user )?(.*?) from (\S+) port (\d+)/;
// A user name may contain spaces, because sshd logs whatever name the client sent.
const SSH_INVALID = /^Invalid user (.*?) from (\S+)(?: port (\d+))?/;
const PAM_FAILURE = /authentication failure;.*?rhost=(\S*)(?:\s+user=(\S+))?/;
const SSH_CLOSED =
  /^(?:Connection closed|Disconnected|Connection reset) (?:by|from) (?:(?:invalid|authenticating) user (\S+) )?(\S+) port (\d+)/;
const SSH_REVERSE = /^reverse mapping checking getaddrinfo for \S+ \[(\S+)\] failed/;
const SUDO = /^\s*(\S+) : (?:(.*?) ; )?TTY=\S+ ; PWD=.*? ; USER=(\S+) ; COMMAND=(.*)$/;
const SU_OK = /^(?:Successful su for (\S+) by (\S+)|\(to (\S+)\) (\S+) on)/;
const SU_FAILED = /^FAILED SU \(to (\S+)\) (\S+) on/;
// Maximum length of a message searched for sshd, sudo and su activity. Real ones are far shorter.
const MAX_ACTIVITY_CHARS = 2048;
const REPEATED = /^message repeated \d+ times: \[\s*(.*)\]$/;
const SESSION_OPENED = /session opened for user (\S+?)(?:\(uid=\d+\))? by (\S*?)(?:\(uid=\d+\))?$/;

function logon(
  status: Status,
  detail: string | null,
  user: string | null,
  src: string | null,
  port: number | null,
  operation: string,
): Activity {
  return {
    category: 'identity',
    class_uid: 3002,
    class_name: 'Authentication',
    activity: 'Logon',
    status,
    detail,
    user,
    src,
    port,
    operation,
    target: null,
  };
}

/** Reads the security meaning of an sshd, sudo or su message. */
export function activityOf(app: string | null, text: string): Activity | null {
  // The patterns below backtrack over user names, so a hostile long line is not searched.
  if (text.length > MAX_ACTIVITY_CHARS) return null;
  const program = app?.replace(/\(.*\)$/, '') ?? '';
  // rsyslog folds repeats into `message repeated 5 times: [ <message>]`.
  const message = REPEATED.exec(text)?.[1] ?? text;

  const own =
    (program === 'sshd' ? sshdActivity(message) : null) ??
    pamFailure(program, message) ??
    (program === 'sudo' ? sudoActivity(message) : null) ??
    (program === 'su' ? suActivity(message) : null);
  return own ?? sessionOpened(program, message);
}

function sshdActivity(message: string): Activity | null {
  const result = SSH_RESULT.exec(message);
  if (result !== null) {
    const [, outcome, method, invalid, user, address, port] = result;
    if (outcome !== 'Failed') {
      return logon('success', null, user ?? null, address ?? null, Number(port), `ssh ${method}`);
    }
    const detail = invalid === undefined ? `failed ${method}` : 'invalid user';
    return logon('failure', detail, user ?? null, address ?? null, Number(port), `ssh ${method}`);
  }

  const invalid = SSH_INVALID.exec(message);
  if (invalid !== null) {
    const port = invalid[3] === undefined ? null : Number(invalid[3]);
    const [user, address] = [invalid[1] || null, invalid[2] ?? null];
    return logon('failure', 'invalid user', user, address, port, 'ssh login');
  }

  const closed = SSH_CLOSED.exec(message);
  if (closed !== null) {
    const [user, address] = [closed[1] ?? null, closed[2] ?? null];
    const found = logon('unknown', null, user, address, Number(closed[3]), 'ssh disconnect');
    return { ...found, activity: 'Logoff' };
  }

  const reverse = SSH_REVERSE.exec(message);
  if (reverse === null) return null;
  const address = reverse[1] ?? null;
  const found = logon('unknown', 'reverse lookup failed', null, address, null, 'ssh connect');
  return { ...found, activity: 'Other' };
}

function pamFailure(program: string, message: string): Activity | null {
  const pam = PAM_FAILURE.exec(message);
  if (pam === null) return null;
  const [user, address] = [pam[2] ?? null, pam[1] || null];
  return logon(
    'failure',
    'authentication failure',
    user,
    address,
    null,
    `${program || 'pam'} login`,
  );
}

function sudoActivity(message: string): Activity | null {
  const sudo = SUDO.exec(message);
  if (sudo === null) return null;
  const [, user, problem, target, command] = sudo;
  const failed =
    problem !== undefined && /incorrect password|not in sudoers|not allowed/i.test(problem);

  return {
    category: 'compute',
    class_uid: 1007,
    class_name: 'Process Activity',
    activity: 'Launch',
    status: failed ? 'failure' : 'success',
    detail: failed ? (problem ?? null) : null,
    user: user ?? null,
    src: null,
    port: null,
    operation: `sudo ${clipPart(command ?? '')}`,
    target: target ?? null,
  };
}

function suActivity(message: string): Activity | null {
  const failed = SU_FAILED.exec(message);
  if (failed !== null) {
    const found = logon('failure', 'su failed', failed[2] ?? null, null, null, 'su');
    return { ...found, target: failed[1] ?? null };
  }

  const ok = SU_OK.exec(message);
  if (ok === null) return null;
  const found = logon('success', null, ok[2] ?? ok[4] ?? null, null, null, 'su');
  return { ...found, target: ok[1] ?? ok[3] ?? null };
}

const SESSION_PROGRAMS = new Set(['su', 'sudo', 'sshd', 'login']);

function sessionOpened(program: string, message: string): Activity | null {
  const session = SESSION_OPENED.exec(message);
  if (session === null || !SESSION_PROGRAMS.has(program)) return null;
  const user = session[2] || session[1] || null;
  const found = logon('success', null, user, null, null, `${program} session`);
  return { ...found, target: session[1] ?? null };
}

function endpoint(address: string | null, port: number | null): Endpoint {
  const found = emptyEndpoint();
  if (address === null) return found;
  if (isIP(address) !== 0) found.ip = address;
  else found.domain = address;
  found.port = port;
  return found;
}

/** Maps one parsed syslog line to an event. */
export function normalizeSyslog(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  const fields = value as SyslogFields;
  if (typeof fields?.time !== 'string' || typeof fields.message !== 'string') {
    return { code: 'not_syslog', reason: 'the record is no parsed syslog line' };
  }
  const found = activityOf(fields.app, fields.message);
  const actor: Actor = emptyActor();
  actor.uid = found?.user ?? null;
  actor.name = actor.uid;
  const src = endpoint(found?.src ?? null, found?.port ?? null);
  const program = fields.app ?? 'syslog';

  return {
    uid: eventUid(ref),
    time: fields.time,
    source: 'host.syslog',
    category: found?.category ?? 'compute',
    class_uid: found?.class_uid ?? 0,
    class_name: found?.class_name ?? 'Base Event',
    activity: found?.activity ?? 'Other',
    status: found?.status ?? 'unknown',
    status_detail: found?.detail ?? null,
    actor,
    src,
    dst: { ...emptyEndpoint(), domain: fields.host },
    user_agent: null,
    cloud: { provider: 'other', account: null, region: null },
    api: {
      service: program,
      operation: found?.operation ?? null,
      request_id: null,
      read_only: null,
    },
    resources: [
      { uid: fields.host, type: 'host' },
      ...(found?.target == null ? [] : [{ uid: found.target, type: 'user' }]),
    ],
    message: `${clipPart(fields.host)} ${clipPart(program)}: ${clipPart(fields.message)}`,
    tags: fields.year_inferred === undefined ? [] : ['year_inferred'],
    evidence: ref,
    raw: value as Record<string, unknown>,
  };
}
