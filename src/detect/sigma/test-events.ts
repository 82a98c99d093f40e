/** Builds minimal events around raw records, for the Sigma engine's tests. */
import { type Event, emptyActor, emptyEndpoint } from '../../core/event.ts';

/** An `aws.cloudtrail` event with the given raw record; other fields are unknown. */
export function cloudtrailEvent(
  raw: Record<string, unknown>,
  uid = 'test:0',
  time = '2024-05-01T10:00:00.000Z',
): Event {
  return {
    uid,
    time,
    source: 'aws.cloudtrail',
    category: 'audit',
    class_uid: 6003,
    class_name: 'API Activity',
    activity: 'Other',
    status: 'unknown',
    status_detail: null,
    actor: emptyActor(),
    src: emptyEndpoint(),
    dst: emptyEndpoint(),
    user_agent: null,
    cloud: { provider: 'aws', account: null, region: null },
    api: { service: null, operation: null, request_id: null, read_only: null },
    resources: [],
    message: '',
    tags: [],
    evidence: { sha256: '0'.repeat(64), member: null, record: 0, offset: 0 },
    raw,
  };
}

/** Wraps a detection section into a CloudTrail rule file. */
export function cloudtrailRule(detection: string, title = 'case'): string {
  const indented = detection
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
  return `title: ${title}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n${indented}\n`;
}
