import { describe, expect, it } from 'vitest';
import type { ScopeResult } from '../../analyze/scope/index.ts';
import { renderEntities } from './entities.ts';
import { renderScope } from './scope.ts';

const HOSTILE = 'arn:aws:iam::111122223333:user/evil\u001b[2J\u202e';
const TIME = '2024-05-13T01:00:00.000Z';

const SCOPE: ScopeResult = {
  indicator: { kind: 'identity', value: HOSTILE },
  split: { mode: 'all', suspicious_sources: [], excluded: [] },
  events: 1,
  first_activity: TIME,
  last_activity: TIME,
  dwell_seconds: 0,
  by_source: [{ source: 'aws.cloudtrail', events: 1 }],
  identities: [{ value: HOSTILE, events: 1, first_seen: TIME, last_seen: TIME }],
  access_keys: [],
  ips: [],
  created: [],
  data_read: [],
  data_read_totals: {
    resources: 0,
    reads: 0,
    bytes: null,
    reads_with_bytes: 0,
    object_size: null,
    reads_with_size: 0,
  },
  flows: [],
  flow_totals: { flows: 0, bytes: 0 },
  changes: [
    {
      time: TIME,
      operation: 'PutBucketPolicy\u001b]8;;http://x\u0007',
      service: 's3.amazonaws.com',
      actor: HOSTILE,
      resources: ['bucket\nsecond line'],
      event_uid: 'e1',
      rollback: 'restore the previous bucket policy',
    },
  ],
  change_count: 1,
  vector: [],
  chain: { steps: [], narrative: [`2024-05-13 01:00 UTC, impact: done by ${HOSTILE}.`] },
  event_list: [],
  event_limit: 10,
};

describe('scope text output', () => {
  it('escapes control and layout characters', () => {
    const text = renderScope(SCOPE);

    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
    expect(text).not.toContain('\u202e');
    expect(text).toContain('\\x1b[2J');
    expect(text).toContain('bucket\\nsecond line');
  });

  it('escapes entity cells', () => {
    const text = renderEntities([
      {
        type: 'identity',
        value: HOSTILE,
        kind: 'user',
        name: 'evil\u001b[0m',
        linked: [],
        first_seen: TIME,
        last_seen: TIME,
        events: 1,
        sources: ['aws.cloudtrail'],
        origin: null,
      },
    ]);

    expect(text).not.toContain('\u001b');
    expect(text).toContain('evil\\x1b[0m');
  });
});
