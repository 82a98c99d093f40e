import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractCaseEntities } from '../analyze/entities/index.ts';
import { caseWithEvents, withConnection } from '../analyze/test-case.ts';
import type { Event } from '../core/event.ts';
import { CaseDb } from '../store/index.ts';
import { testEvent } from '../store/test-events.ts';
import { findMissingCoverage } from './coverage.ts';
import type { GapFinding } from './types.ts';
import type { EvidenceDigest } from './validate-digests.ts';

const OURS = '111122223333';
const OTHER = '444455556666';
const FOREIGN = '999988887777';

function at(
  record: number,
  source: string,
  account: string | null,
  region: string | null,
  overrides: Partial<Event> = {},
): Event {
  const provider = source.startsWith('gcp.') ? 'gcp' : 'aws';
  return testEvent(record, {
    source,
    cloud: { provider, account, region },
    actor: { ...testEvent(record).actor, uid: `arn:aws:iam::${OURS}:user/alice` },
    resources: [],
    ...overrides,
  });
}

const EVENTS = [
  at(0, 'aws.cloudtrail', OURS, 'us-east-1'),
  at(1, 'aws.vpcflow', OURS, 'us-east-1'),
  at(2, 'aws.vpcflow', OURS, 'eu-west-1'),
  at(3, 'aws.vpcflow', OURS, 'eu-west-1'),
  at(4, 'aws.guardduty', OTHER, 'us-west-2'),
  at(5, 'aws.cloudtrail', OURS, 'us-east-1', {
    api: {
      service: 'ec2.amazonaws.com',
      operation: 'CopySnapshot',
      request_id: null,
      read_only: false,
    },
    raw: { eventName: 'CopySnapshot', requestParameters: { destinationRegion: 'ap-southeast-2' } },
  }),
  at(6, 'aws.cloudtrail', OURS, 'us-east-1', {
    actor: { ...testEvent(6).actor, uid: `arn:aws:sts::${FOREIGN}:assumed-role/ops/x` },
  }),
  at(7, 'gcp.vpcflow', 'proj-data', null),
  // The requester of an S3 access log line is in anyone's account.
  at(8, 'aws.s3access', '123456789012', 'eu-north-1'),
];

function digest(region: string, logFiles: number): EvidenceDigest {
  const end = '2024-05-01T13:00:00Z';
  return {
    file: `AWSLogs/${OURS}/CloudTrail-Digest/${region}/2024/05/01/digest.json.gz`,
    sha256: 'b'.repeat(64),
    data: {
      account: OURS,
      start: '2024-05-01T12:00:00Z',
      end,
      bucket: 'trail-bucket',
      object: `AWSLogs/${OURS}/CloudTrail-Digest/${region}/2024/05/01/${OURS}_CloudTrail-Digest_${region}_main_us-east-1_20240501T130000Z.json.gz`,
      fingerprint: 'f'.repeat(32),
      algorithm: 'SHA256withRSA',
      previousBucket: null,
      previousObject: null,
      previousHash: null,
      previousSignature: null,
      logFiles: Array.from({ length: logFiles }, (_, i) => ({
        bucket: 'trail-bucket',
        object: `AWSLogs/${OURS}/CloudTrail/${region}/2024/05/01/log-${i}.json.gz`,
        hash: 'c'.repeat(64),
        oldest: null,
        newest: null,
      })),
    },
  };
}

let caseDir: string;
let findings: GapFinding[];

beforeAll(async () => {
  caseDir = await caseWithEvents(EVENTS);
  const db = await CaseDb.open(caseDir);
  try {
    await extractCaseEntities(db);
  } finally {
    await db.close();
  }
  const digests = [digest('ca-central-1', 2), digest('sa-east-1', 0)];
  findings = await withConnection(caseDir, (connection) =>
    findMissingCoverage(connection, digests),
  );
});

afterAll(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

const found = (account: string, region: string | null) =>
  findings.find((f) => f.account === account && f.region === region);

describe('missing audit log coverage', () => {
  it('reports a region seen only in flow logs', () => {
    const finding = found(OURS, 'eu-west-1');

    expect(finding?.kind).toBe('no_audit_logs');
    expect(finding?.source).toBe('aws.cloudtrail');
    expect(finding?.severity).toBe('medium');
    expect(finding?.summary).toContain('2 aws.vpcflow events');
    expect(finding?.event_uids).toEqual([EVENTS[2]?.uid, EVENTS[3]?.uid]);
  });

  it('leaves covered regions alone', () => {
    expect(found(OURS, 'us-east-1')).toBeUndefined();
    expect(found(OURS, null)).toBeUndefined();
  });

  it('reports an account seen only in GuardDuty', () => {
    expect(found(OTHER, 'us-west-2')?.summary).toContain('aws.guardduty');
  });

  it('reports a region an API call named', () => {
    expect(found(OURS, 'ap-southeast-2')?.summary).toContain(
      '1 CopySnapshot call named the region',
    );
  });

  it('reports an account named only in ARNs as low', () => {
    const finding = found(FOREIGN, null);

    expect(finding?.severity).toBe('low');
    expect(finding?.summary).toContain(`2 ARNs name it, such as arn:aws:iam::${FOREIGN}:role/ops`);
    expect(finding?.cannot_see).toContain('another organization');
  });

  it('reports digest regions with log files only', () => {
    expect(found(OURS, 'ca-central-1')?.summary).toContain('list 2 log files');
    expect(found(OURS, 'sa-east-1')).toBeUndefined();
  });

  it('expects GCP audit logs of a project', () => {
    expect(found('proj-data', null)?.source).toBe('gcp.audit');
  });

  it('ignores S3 access log requesters', () => {
    expect(found('123456789012', 'eu-north-1')).toBeUndefined();
  });
});
