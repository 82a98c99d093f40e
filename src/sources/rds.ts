/**
 * Amazon RDS and Aurora database logs, as `aws rds download-db-log-file-portion` and the console
 * give them: PostgreSQL logs with RDS's line prefix `%t:%r:%u@%d:[%p]:` (pgaudit entries too),
 * MySQL and MariaDB audit logs of the server audit plugin (Aurora MySQL's advanced auditing
 * writes the same fields with a time in microseconds), and MySQL error logs.
 *
 * A PostgreSQL entry may go on over further lines that start with white space, such as a long
 * statement; each such line is kept as a record of its own with the time and session of the
 * entry it continues.
 */
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Actor,
  type Endpoint,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Resource,
  type Status,
} from '../core/event.ts';
import { clipPart } from './message.ts';
import {
  headLines,
  type LineParse,
  type LineParser,
  RAW_LINE_KEY,
  scanTextRecords,
  scoreLines,
} from './text-lines.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

// `2024-04-02 10:00:01 UTC:10.0.1.20(45678):admin@prod:[12345]:LOG:  message`. The remote
// host may be empty or `[local]`, user and database empty for background processes.
const POSTGRES =
  /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) (UTC|GMT|[+-]\d{2}(?::?\d{2})?):([^:]*):([^@:]*)@([^:]*):\[(\d{1,10})\]:([A-Z]+\d?):\s*(.*)$/;
// `20240402 10:00:01,host,user,client,connection,query,OPERATION,database,object,retcode`;
// Aurora MySQL starts with microseconds since the epoch instead.
const MYSQL_AUDIT =
  /^(\d{8} \d{2}:\d{2}:\d{2}|\d{16}),([^,]*),([^,]*),([^,]*),(\d{1,20}),(\d{1,20}),([A-Z_]+),([^,]*),(.*),(-?\d{1,10})$/;
// `2024-04-02T10:00:01.123456Z 12 [Note] [MY-010926] [Server] message`; 5.7 lacks the codes.
const MYSQL_ERROR =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z) (\d{1,20}) \[(\w+)\] (?:\[(MY-\d+)\] \[(\w+)\] )?(.*)$/;

const SNIFF_LINES = 5;

/** The fields one line is read into; `raw` keeps them with the line. */
type RdsRecord =
  | {
      engine: 'postgres';
      time: string;
      remote: string | null;
      user: string | null;
      database: string | null;
      pid: number;
      severity: string;
      message: string;
      /** Set on a line that continues the entry above it. */
      continued?: true;
    }
  | {
      engine: 'mysql_audit';
      time: string;
      server: string | null;
      user: string | null;
      host: string | null;
      connection_id: string;
      query_id: string;
      operation: string;
      database: string | null;
      object: string | null;
      retcode: number;
    }
  | {
      engine: 'mysql_error';
      time: string;
      thread: string;
      priority: string;
      code: string | null;
      subsystem: string | null;
      message: string;
    };

function blank(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function postgresTime(stamp: string, zone: string): string | null {
  const offset =
    zone === 'UTC' || zone === 'GMT'
      ? 'Z'
      : zone.length === 3
        ? `${zone}:00`
        : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const millis = Date.parse(`${stamp.replace(' ', 'T')}${offset}`);
  return Number.isNaN(millis) ? null : new Date(millis).toISOString();
}

function auditTime(stamp: string): string | null {
  if (stamp.length === 16) return new Date(Number(stamp) / 1000).toISOString();
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9)}Z`;
  const millis = Date.parse(iso);
  return Number.isNaN(millis) ? null : new Date(millis).toISOString();
}

// The plugin quotes the statement in single quotes and doubles or escapes quotes inside.
function unquote(value: string): string | null {
  if (value === '') return null;
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
    return value.slice(1, -1).replace(/\\'/g, "'").replace(/''/g, "'");
  }
  return value;
}

/** Reads the lines of one log; keeps the last PostgreSQL entry for its continuation lines. */
export class RdsLineParser implements LineParser {
  #entry: Extract<RdsRecord, { engine: 'postgres' }> | null = null;

  parse(line: string): LineParse {
    const record = this.#read(line);
    if (record === null) {
      return { kind: 'rejected', code: 'not_rds_log', reason: 'the line is no RDS log line' };
    }
    return { kind: 'record', value: { ...record, [RAW_LINE_KEY]: line } };
  }

  #read(line: string): RdsRecord | null {
    const postgres = POSTGRES.exec(line);
    if (postgres !== null) {
      const [, stamp, zone, remote, user, database, pid, severity, message] = postgres;
      const time = postgresTime(stamp ?? '', zone ?? '');
      if (time === null) return null;
      this.#entry = {
        engine: 'postgres',
        time,
        remote: blank(remote),
        user: blank(user),
        database: blank(database),
        pid: Number(pid),
        severity: severity ?? 'LOG',
        message: message ?? '',
      };
      return this.#entry;
    }
    if (/^\s/.test(line) && this.#entry !== null) {
      return { ...this.#entry, message: line.trim(), continued: true };
    }

    const audit = MYSQL_AUDIT.exec(line);
    if (audit !== null) {
      const [, stamp, server, user, host, connection, query, operation, database, object, code] =
        audit;
      const time = auditTime(stamp ?? '');
      if (time === null) return null;
      return {
        engine: 'mysql_audit',
        time,
        server: blank(server),
        user: blank(user),
        host: blank(host),
        connection_id: connection ?? '',
        query_id: query ?? '',
        operation: operation ?? '',
        database: blank(database),
        object: unquote(object ?? ''),
        retcode: Number(code),
      };
    }

    const error = MYSQL_ERROR.exec(line);
    if (error !== null) {
      const [, stamp, thread, priority, code, subsystem, message] = error;
      const millis = Date.parse(stamp ?? '');
      if (Number.isNaN(millis)) return null;
      return {
        engine: 'mysql_error',
        time: new Date(millis).toISOString(),
        thread: thread ?? '',
        priority: priority ?? '',
        code: code ?? null,
        subsystem: subsystem ?? null,
        message: message ?? '',
      };
    }
    return null;
  }
}

function looksLikeRds(line: string): boolean {
  return POSTGRES.test(line) || MYSQL_AUDIT.test(line) || MYSQL_ERROR.test(line);
}

export const rds: SourceFormat = {
  id: 'aws.rds',
  description: 'Amazon RDS and Aurora logs: PostgreSQL (pgaudit too), MySQL audit and error logs',
  example: 'error/postgresql.log.2024-04-02-10',
  logCategory: 'database',
  alsoCovers: ['identity'],
  sniff: (head: Buffer, _name: string): number =>
    scoreLines(headLines(head, SNIFF_LINES), looksLikeRds, 0.85),
  records: (input: Readable): AsyncIterable<RecordResult> =>
    scanTextRecords(input, new RdsLineParser()),
  normalize: normalizeRds,
};

/** What one entry says happened, in the terms of the event. */
interface Activity {
  category: 'database' | 'identity';
  class_uid: number;
  class_name: string;
  activity: string;
  status: Status;
  detail: string | null;
  operation: string | null;
  /** A user the entry names in its text, such as the one a failed sign-in tried. */
  user?: string;
  /** A client address the entry names in its text. */
  address?: string;
  object?: string;
}

const LOGON = { category: 'identity', class_uid: 3002, class_name: 'Authentication' } as const;
const QUERY = { category: 'database', class_uid: 6005, class_name: 'Datastore Activity' } as const;

// The first word of a statement, such as SELECT or DROP.
function verbOf(statement: string | null): string | null {
  const found = /^\s*\(?\s*([A-Za-z]+)/.exec(statement ?? '');
  return found?.[1]?.toUpperCase() ?? null;
}

function postgresActivity(record: Extract<RdsRecord, { engine: 'postgres' }>): Activity {
  const { message, severity } = record;
  const failed = severity === 'ERROR' || severity === 'FATAL' || severity === 'PANIC';
  const status: Status = failed ? 'failure' : 'success';
  const authFailed = /^password authentication failed for user "([^"]{0,256})"/.exec(message);
  if (authFailed !== null || /^no pg_hba\.conf entry for host/.test(message)) {
    return {
      ...LOGON,
      activity: 'Logon',
      status: 'failure',
      detail: clipPart(message),
      operation: 'login',
      ...(authFailed?.[1] === undefined ? {} : { user: authFailed[1] }),
    };
  }
  if (/^connection authorized:/.test(message)) {
    return { ...LOGON, activity: 'Logon', status, detail: null, operation: 'login' };
  }
  if (/^disconnection:/.test(message)) {
    return { ...LOGON, activity: 'Logoff', status, detail: null, operation: 'logout' };
  }
  // pgaudit: `AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.users,"select …",<not logged>`.
  const audit = /^AUDIT: (?:SESSION|OBJECT),\d+,\d+,(\w+),([A-Z ]+),([A-Z ]*),([^,]*),/.exec(
    message,
  );
  if (audit !== null) {
    const object = blank(audit[4]);
    return {
      ...QUERY,
      activity: audit[1] === 'READ' ? 'Read' : 'Other',
      status,
      detail: failed ? clipPart(message) : null,
      operation: audit[2] ?? null,
      ...(object === null ? {} : { object }),
    };
  }
  const statement = /^(?:statement|execute [^:]{0,64}): (.*)$/.exec(message);
  return {
    ...QUERY,
    activity: 'Other',
    status: failed ? 'failure' : 'unknown',
    detail: failed ? clipPart(message) : null,
    operation: statement === null ? null : verbOf(statement[1] ?? null),
  };
}

function auditActivity(record: Extract<RdsRecord, { engine: 'mysql_audit' }>): Activity {
  const status: Status = record.retcode === 0 ? 'success' : 'failure';
  const detail = record.retcode === 0 ? null : `error ${record.retcode}`;
  switch (record.operation) {
    case 'CONNECT':
    case 'FAILED_CONNECT':
      return {
        ...LOGON,
        activity: 'Logon',
        status: record.operation === 'FAILED_CONNECT' ? 'failure' : status,
        detail,
        operation: 'login',
      };
    case 'DISCONNECT':
      return { ...LOGON, activity: 'Logoff', status, detail, operation: 'logout' };
    default: {
      const verb = record.operation === 'QUERY' ? verbOf(record.object) : null;
      return {
        ...QUERY,
        activity: record.operation === 'READ' ? 'Read' : 'Other',
        status,
        detail,
        operation: verb ?? record.operation,
      };
    }
  }
}

function errorActivity(record: Extract<RdsRecord, { engine: 'mysql_error' }>): Activity {
  const denied = /^Access denied for user '([^']{0,256})'@'([^']{0,256})'/.exec(record.message);
  if (denied !== null) {
    return {
      ...LOGON,
      activity: 'Logon',
      status: 'failure',
      detail: clipPart(record.message),
      operation: 'login',
      user: denied[1] ?? '',
      address: denied[2] ?? '',
    };
  }
  const failed = record.priority === 'ERROR';
  return {
    ...QUERY,
    activity: 'Other',
    status: failed ? 'failure' : 'unknown',
    detail: failed ? clipPart(record.message) : null,
    operation: null,
  };
}

// `10.0.1.20(45678)` as PostgreSQL writes the remote end; `[local]` is a Unix socket.
function remoteOf(remote: string | null): Endpoint {
  const found = emptyEndpoint();
  const parts = /^([^()]+)(?:\((\d{1,5})\))?$/.exec(remote ?? '');
  if (parts === null) return found;
  if (isIP(parts[1] ?? '') !== 0) found.ip = parts[1] ?? null;
  else if (parts[1] !== '[local]') found.domain = parts[1] ?? null;
  if (parts[2] !== undefined) found.port = Number(parts[2]);
  return found;
}

function hostOf(host: string | null | undefined): Endpoint {
  const found = emptyEndpoint();
  if (host === null || host === undefined || host === '') return found;
  if (isIP(host) !== 0) found.ip = host;
  else found.domain = host;
  return found;
}

function databaseActor(user: string | null | undefined): Actor {
  const actor = emptyActor();
  if (user !== null && user !== undefined && user !== '') {
    actor.uid = user;
    actor.name = user;
    actor.type = 'DatabaseUser';
  }
  return actor;
}

/** Maps one RDS log line, read by `RdsLineParser`, to an event. */
export function normalizeRds(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  const record = value as RdsRecord & { [RAW_LINE_KEY]?: string };
  if (typeof record !== 'object' || record === null || typeof record.time !== 'string') {
    return { code: 'not_rds_log', reason: 'the record is no RDS log line' };
  }

  let found: Activity;
  let src: Endpoint;
  let user: string | null;
  let database: string | null = null;
  let text: string;
  if (record.engine === 'postgres') {
    found = postgresActivity(record);
    src = remoteOf(record.remote);
    user = found.user ?? record.user;
    database = record.database;
    text = record.continued === true ? `(continued) ${record.message}` : record.message;
  } else if (record.engine === 'mysql_audit') {
    found = auditActivity(record);
    src = hostOf(record.host);
    user = record.user;
    database = record.database;
    text = `${record.operation}${record.object === null ? '' : ` ${record.object}`}`;
  } else {
    found = errorActivity(record);
    src = hostOf(found.address);
    user = found.user ?? null;
    text = record.message;
  }

  const resources: Resource[] = [];
  if (database !== null) resources.push({ uid: database, type: 'database' });
  if (found.object !== undefined) resources.push({ uid: found.object, type: 'table' });
  const who = user === null ? 'database' : clipPart(user);
  const from = src.ip ?? src.domain;
  const where = `${database === null ? '' : ` on ${clipPart(database)}`}${from === null ? '' : ` from ${from}`}`;

  return {
    uid: eventUid(ref),
    time: record.time,
    source: 'aws.rds',
    category: found.category,
    class_uid: found.class_uid,
    class_name: found.class_name,
    activity: found.activity,
    status: found.status,
    status_detail: found.detail,
    actor: databaseActor(user),
    src,
    dst: emptyEndpoint(),
    user_agent: null,
    cloud: { provider: 'aws', account: null, region: null },
    api: { service: 'rds', operation: found.operation, request_id: null, read_only: null },
    resources,
    message: `${who}${where}: ${clipPart(text)}`,
    tags: [],
    evidence: ref,
    raw: record as unknown as Record<string, unknown>,
  };
}
