/** Test helpers: CloudTrail-like calls for entity and scope tests. */
import type { Event } from '../../core/event.ts';
import { testEvent } from '../../store/test-events.ts';

/** Fields of one test call; everything else comes from `testEvent`. */
export interface Call {
  /** Hours after 2024-05-13T00:00:00Z. */
  hour: number;
  actor: string;
  key?: string | null;
  ip?: string | null;
  operation?: string;
  readOnly?: boolean;
  status?: 'success' | 'failure';
  source?: string;
  type?: string;
  resources?: Event['resources'];
  raw?: Record<string, unknown>;
}

/** Builds call `record` of the test evidence. */
export function call(record: number, spec: Call): Event {
  const base = testEvent(record);
  const name = spec.actor.slice(spec.actor.lastIndexOf('/') + 1);

  return {
    ...base,
    time: new Date(Date.UTC(2024, 4, 13) + spec.hour * 3_600_000).toISOString(),
    source: spec.source ?? 'aws.cloudtrail',
    status: spec.status ?? 'success',
    actor: {
      ...base.actor,
      uid: spec.actor,
      name,
      type: spec.type ?? (spec.actor.includes(':assumed-role/') ? 'AssumedRole' : 'IAMUser'),
      access_key: spec.key === undefined ? 'AKIAALICE0000000KEY1' : spec.key,
    },
    src: { ...base.src, ip: spec.ip === undefined ? '192.0.2.10' : spec.ip },
    api: {
      ...base.api,
      operation: spec.operation ?? 'ListBuckets',
      read_only: spec.readOnly ?? (spec.operation ?? 'ListBuckets').startsWith('List'),
    },
    resources: spec.resources ?? [],
    raw: spec.raw ?? { eventName: spec.operation ?? 'ListBuckets' },
  };
}

/** The IAM user ARN of `name` in the test account. */
export const user = (name: string): string => `arn:aws:iam::111122223333:user/${name}`;

/** An assumed-role session ARN in the test account. */
export const session = (role: string, name: string): string =>
  `arn:aws:sts::111122223333:assumed-role/${role}/${name}`;
