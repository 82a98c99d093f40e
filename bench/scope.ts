/**
 * Times entity extraction and a scope on an investigated case. `benchScope` extracts the
 * entities again (the case must not be open elsewhere), then scopes the access key with the
 * most events, the worst case for a key, and the busiest source IP address.
 *
 * Run alone: `node --import tsx bench/scope.ts --case DIR`.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import { extractEntities } from '../src/analyze/entities/index.ts';
import { type Indicator, scopeOf } from '../src/analyze/scope/index.ts';
import { CaseDb } from '../src/store/index.ts';

/** Wall and CPU seconds of one timed step. */
export interface StepTiming {
  wall_seconds: number;
  cpu_seconds: number;
}

/** Timings of `benchScope`. */
export interface ScopeTimings {
  events: number;
  entities: StepTiming & { rows: number };
  scopes: (StepTiming & { indicator: Indicator; events_in_scope: number })[];
}

async function timed<T>(work: () => Promise<T>): Promise<[T, StepTiming]> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return [
    result,
    {
      wall_seconds: (performance.now() - wall) / 1000,
      cpu_seconds: (used.user + used.system) / 1e6,
    },
  ];
}

async function busiest(connection: DuckDBConnection, type: string): Promise<string | null> {
  const reader = await connection.runAndReadAll(
    'SELECT value FROM entities WHERE type = $type ORDER BY events DESC, value LIMIT 1',
    { type },
  );
  const value = reader.getRowObjectsJS()[0]?.value;
  return value === undefined || value === null ? null : String(value);
}

/** Times entity extraction and scopes of the busiest key and address on `caseDir`. */
export async function benchScope(caseDir: string): Promise<ScopeTimings> {
  const db = await CaseDb.open(caseDir);
  const connection = await db.connect();
  try {
    const counted = await connection.runAndReadAll('SELECT count(*) AS n FROM events');
    const events = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
    const [counts, extraction] = await timed(() => extractEntities(connection));
    const scopes: ScopeTimings['scopes'] = [];
    const seeds: Indicator[] = [];
    const key = await busiest(connection, 'access_key');
    if (key !== null) seeds.push({ kind: 'key', value: key });
    const ip = await busiest(connection, 'ip');
    if (ip !== null) seeds.push({ kind: 'ip', value: ip });
    for (const indicator of seeds) {
      const [scope, timing] = await timed(() =>
        scopeOf(connection, indicator, { eventLimit: 1000 }),
      );
      scopes.push({ ...timing, indicator, events_in_scope: scope.events });
    }

    return { events, entities: { ...extraction, rows: counts.entities }, scopes };
  } finally {
    connection.closeSync();
    await db.close();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { case: { type: 'string' } } });
  if (values.case === undefined) throw new Error('usage: bench/scope.ts --case DIR');
  console.log(JSON.stringify(await benchScope(resolve(values.case)), null, 2));
}
