/** Test helpers: a temporary case folder with given events and a connection to its database. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Event } from '../core/event.ts';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';

/** Creates a case folder, stores `events` with `CaseDb` and returns the folder's path. */
export async function caseWithEvents(events: readonly Event[]): Promise<string> {
  const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-analyze-'));
  const db = await CaseDb.open(caseDir);
  try {
    const writer = await db.eventWriter();
    for (const event of events) writer.append(event);
    await writer.close();
  } finally {
    await db.close();
  }

  return caseDir;
}

/** Runs `work` on a connection of its own to the case database of `caseDir`, read-only. */
export async function withConnection<T>(
  caseDir: string,
  work: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const db = await CaseDb.openReadOnly(caseDir);
  const connection = await db.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    await db.close();
  }
}

/** Stores `events` in a new case, runs `work` on it, then deletes the case folder. */
export async function onEvents<T>(
  events: readonly Event[],
  work: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const caseDir = await caseWithEvents(events);
  try {
    return await withConnection(caseDir, work);
  } finally {
    await rm(caseDir, { recursive: true, force: true });
  }
}

/** Fields of a test API call that `keyCall` sets on a CloudTrail-like event. */
export interface KeyCall {
  /** ISO 8601 instant. */
  time: string;
  key: string;
  /** Source IP address; `null` leaves it out. */
  ip: string | null;
  /** Source domain, set when an AWS service made the call. Default `null`. */
  domain?: string | null;
  agent?: string;
  user?: string;
}

/** Builds an API call signed with an access key, as record `record` of the test evidence. */
export function keyCall(record: number, call: KeyCall): Event {
  const base = testEvent(record);
  const user = call.user ?? 'alice';

  return {
    ...base,
    time: call.time,
    actor: {
      ...base.actor,
      uid: `arn:aws:iam::111122223333:user/${user}`,
      name: user,
      access_key: call.key,
    },
    src: { ...base.src, ip: call.ip, domain: call.domain ?? null },
    user_agent: call.agent ?? 'aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0',
    api: { ...base.api, operation: 'ListBuckets', service: 's3.amazonaws.com' },
  };
}

/** Returns the ISO 8601 instant `hours` after 2024-05-13T00:00:00Z (a Monday). */
export function at(hours: number): string {
  return new Date(Date.UTC(2024, 4, 13) + hours * 3_600_000).toISOString();
}
