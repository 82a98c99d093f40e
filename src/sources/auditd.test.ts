import { describe, expect, it } from 'vitest';
import { auditd } from './auditd.ts';
import { ingestLogFile, ingestText } from './test-ingest.ts';

const ENRICHED = 'plaso-cloud-test-data/test_data/audit_enriched.log';
const SELINUX = 'plaso-cloud-test-data/test_data/selinux.log';

describe('auditd logs', () => {
  it('reads every line of a real enriched audit log', async () => {
    const { events, rejected } = await ingestLogFile(auditd, ENRICHED);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(29);
    expect(events[0]).toMatchObject({
      time: '2026-07-07T08:56:13.076Z',
      category: 'identity',
      class_name: 'Account Change',
      activity: 'Delete',
      status: 'failure',
      actor: { uid: 'specimenuser' },
      api: { service: '/usr/bin/userdel', operation: 'deleting-user-not-found' },
    });
    expect(events[0]?.raw).toMatchObject({
      type: 'DEL_USER',
      serial: 399,
      exe: '/usr/bin/userdel',
    });
  });

  it('reads a failed ssh key login with its source address', async () => {
    const { events } = await ingestLogFile(auditd, ENRICHED);
    const login = events.find((event) => event.raw.type === 'USER_AUTH');

    expect(login).toMatchObject({
      class_name: 'Authentication',
      status: 'failure',
      actor: { uid: 'root' },
      src: { ip: '172.23.112.1' },
    });
  });

  it('rejects lines without a full audit stamp or header, with reasons', async () => {
    const { events, rejected } = await ingestLogFile(auditd, SELINUX);

    expect(events.map((event) => event.raw.type)).toEqual([
      'LOGIN',
      'SHORTDATE',
      'NOMSG',
      'UNDER_SCORE',
      'UNKNOWN[1323]',
      'AVC',
      'SYSCALL',
    ]);
    expect(rejected.map((entry) => entry.code)).toEqual([
      'invalid_time',
      'not_auditd',
      'not_auditd',
      'not_auditd',
    ]);
  });

  it('takes the new login id of a LOGIN record and the node name', async () => {
    const line =
      'node=web1 type=LOGIN msg=audit(1700000000.5:7): pid=1 uid=0 old auid=4294967295 new auid=1000 old ses=4294967295 new ses=3 res=1';
    const { events } = await ingestText(auditd, line);

    expect(events[0]).toMatchObject({
      time: '2023-11-14T22:13:20.500Z',
      actor: { uid: '1000', session: '3' },
      status: 'success',
      dst: { domain: 'web1' },
      resources: [{ uid: 'web1', type: 'host' }],
    });
  });
});
