import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { CaseDb } from './case-db.ts';
import { testEvent } from './test-events.ts';

// Run with `npx vitest bench src/store/event-writer.bench.ts`; events per second is
// EVENTS times the reported hz.
const EVENTS = 200_000;
const events = Array.from({ length: EVENTS }, (_, record) => testEvent(record));

describe('event writer', () => {
  bench(
    `store ${EVENTS} events in a fresh case`,
    async () => {
      const caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-bench-'));
      const db = await CaseDb.open(caseDir);
      const writer = await db.eventWriter();
      for (const event of events) writer.append(event);
      await writer.close();
      await db.close();
      await rm(caseDir, { recursive: true, force: true });
    },
    { iterations: 3, warmupIterations: 0 },
  );
});
