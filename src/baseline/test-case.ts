/** Test helpers: events of one or more identities, and a run of the baselines over them. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Status } from '../core/event.ts';
import type { GeoIpData } from '../geoip/index.ts';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { type BaselineResult, type RunBaselinesOptions, runBaselines } from './run-baselines.ts';

/** Fields of a test API call; every one but `time` has a default. */
export interface Call {
  /** ISO 8601 instant. */
  time: string;
  user?: string;
  ip?: string | null;
  operation?: string;
  /** API service; default `s3.amazonaws.com`. */
  service?: string;
  region?: string;
  agent?: string;
  status?: Status;
  detail?: string | null;
  key?: string;
  raw?: Record<string, unknown>;
}

/** Builds events with consecutive record numbers, so every uid differs. */
export function calls(list: readonly Call[]): Event[] {
  return list.map((call, index) => {
    const base = testEvent(index);
    const user = call.user ?? 'alice';
    const operation = call.operation ?? 'ListBuckets';
    return {
      ...base,
      time: call.time,
      status: call.status ?? 'success',
      status_detail: call.detail ?? null,
      actor: {
        ...base.actor,
        uid: `arn:aws:iam::111122223333:user/${user}`,
        name: user,
        access_key: call.key ?? 'AKIAQ3EGV7KAMD4NAK3Y',
      },
      src: { ...base.src, ip: call.ip === undefined ? OFFICE : call.ip },
      user_agent: call.agent ?? 'aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0',
      cloud: { ...base.cloud, region: call.region ?? 'eu-west-2' },
      api: { ...base.api, operation, service: call.service ?? 's3.amazonaws.com' },
      raw: call.raw ?? { eventName: operation },
    };
  });
}

/** Returns the ISO 8601 instant `hours` after 2024-05-13T00:00:00Z (a Monday). */
export function at(hours: number): string {
  return new Date(Date.UTC(2024, 4, 13) + hours * 3_600_000).toISOString();
}

/** An office address in London. */
export const OFFICE = '81.2.69.160';
/** An address in Romania, about 2,000 km from the office. */
export const FAR = '92.55.146.245';
/** A second London address on another network. */
export const HOME = '81.2.70.10';
/** An address in an AWS network, placed in the United States. */
export const AWS = '52.95.110.1';

const PLACES: Record<string, { asn: number; org: string; country: string; ll: [number, number] }> =
  {
    [OFFICE]: { asn: 20712, org: 'Andrews & Arnold Ltd', country: 'GB', ll: [51.4, -0.76] },
    [HOME]: { asn: 2856, org: 'British Telecommunications PLC', country: 'GB', ll: [51.5, -0.12] },
    [FAR]: { asn: 39737, org: 'Prime Telecom srl', country: 'RO', ll: [44.43, 26.1] },
    [AWS]: { asn: 16509, org: 'Amazon.com, Inc.', country: 'US', ll: [37.75, -97.82] },
  };

/** GeoIP data that knows the four addresses above and nothing else. */
export const TEST_GEOIP: GeoIpData = {
  asn: (ip) => {
    const place = placeOf(ip);
    return place === undefined ? null : { asn: place.asn, org: place.org };
  },
  city: (ip) => {
    const place = placeOf(ip);
    if (place === undefined) return null;
    return { country: place.country, city: null, latitude: place.ll[0], longitude: place.ll[1] };
  },
  builtAt: new Date('2026-06-17T00:00:00Z'),
};

function placeOf(ip: Parameters<GeoIpData['asn']>[0]) {
  if (ip.version !== 4) return undefined;
  const text = [24, 16, 8, 0].map((shift) => Math.floor(ip.value / 2 ** shift) % 256).join('.');
  return PLACES[text];
}

/** Hourly calls from 09:00 to 16:00 on each of `days` days from the Monday. */
export function officeDays(days: number, call: Omit<Call, 'time'> = {}): Call[] {
  const list: Call[] = [];
  for (let day = 0; day < days; day++) {
    for (let hour = 9; hour < 17; hour++) list.push({ ...call, time: at(day * 24 + hour) });
  }
  return list;
}

/** Stores `events` in a new case, runs the baselines with the test GeoIP data, deletes the case. */
export async function baselinesOf(
  events: readonly Event[],
  options: RunBaselinesOptions = {},
  memoryLimit?: string,
): Promise<BaselineResult> {
  const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-baseline-'));
  const db = await CaseDb.open(caseDir);
  try {
    const writer = await db.eventWriter();
    for (const event of events) writer.append(event);
    await writer.close();
    const connection = await db.connect();
    try {
      if (memoryLimit !== undefined) await connection.run(`SET memory_limit = '${memoryLimit}'`);
      return await runBaselines(connection, { geoip: () => TEST_GEOIP, ...options });
    } finally {
      connection.closeSync();
    }
  } finally {
    await db.close();
    await rm(caseDir, { recursive: true, force: true });
  }
}
