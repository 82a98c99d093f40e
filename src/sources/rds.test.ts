import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { rds } from './rds.ts';
import { ingestText } from './test-ingest.ts';

const POSTGRES_LOG = [
  '2024-04-02 10:00:01 UTC:198.51.100.7(50412):[unknown]@[unknown]:[4121]:LOG:  connection received: host=198.51.100.7 port=50412',
  '2024-04-02 10:00:01 UTC:198.51.100.7(50412):admin@payments:[4121]:FATAL:  password authentication failed for user "admin"',
  '2024-04-02 10:00:09 UTC:198.51.100.7(50418):admin@payments:[4130]:LOG:  connection authorized: user=admin database=payments SSL enabled',
  '2024-04-02 10:00:12 UTC:198.51.100.7(50418):admin@payments:[4130]:LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.cards,"select number, expiry',
  '\tfrom public.cards",<not logged>',
  '2024-04-02 12:00:12.250 +02:30:198.51.100.7(50418):admin@payments:[4130]:LOG:  statement: DROP TABLE audit_trail;',
  '2024-04-02 10:05:00 UTC::@:[401]:LOG:  checkpoint starting: time',
].join('\n');

const MYSQL_AUDIT = [
  '20240402 10:00:01,ip-10-0-1-5,app,10.0.2.30,26,0,CONNECT,shop,,0',
  "20240402 10:00:02,ip-10-0-1-5,app,10.0.2.30,26,31,QUERY,shop,'SELECT name, email FROM customers WHERE id = \\'7\\'',0",
  '1712052003000000,ip-10-0-1-5,root,198.51.100.7,27,0,FAILED_CONNECT,,,1045',
].join('\n');

const MYSQL_ERROR = [
  "2024-04-02T10:00:04.123456Z 27 [Note] [MY-010926] [Server] Access denied for user 'root'@'198.51.100.7' (using password: YES)",
  '2024-04-02T10:00:05.000000Z 0 [ERROR] [MY-013183] [InnoDB] Assertion failure',
].join('\n');

describe('RDS database logs', () => {
  it('reads PostgreSQL sign-ins, pgaudit entries and statements with user, database and client', async () => {
    const { events, rejected } = await ingestText(rds, `${POSTGRES_LOG}\n`);
    expect(rejected).toEqual([]);

    expect(events.map((e) => [e.time, e.category, e.activity, e.status, e.api.operation])).toEqual([
      ['2024-04-02T10:00:01.000Z', 'database', 'Other', 'unknown', null],
      ['2024-04-02T10:00:01.000Z', 'identity', 'Logon', 'failure', 'login'],
      ['2024-04-02T10:00:09.000Z', 'identity', 'Logon', 'success', 'login'],
      ['2024-04-02T10:00:12.000Z', 'database', 'Read', 'success', 'SELECT'],
      ['2024-04-02T10:00:12.000Z', 'database', 'Other', 'unknown', null],
      ['2024-04-02T09:30:12.250Z', 'database', 'Other', 'unknown', 'DROP'],
      ['2024-04-02T10:05:00.000Z', 'database', 'Other', 'unknown', null],
    ]);
    expect(events[1]).toMatchObject({
      actor: { uid: 'admin', type: 'DatabaseUser' },
      src: { ip: '198.51.100.7', port: 50412 },
      resources: [{ uid: 'payments', type: 'database' }],
    });
    expect(events[3]?.resources).toEqual([
      { uid: 'payments', type: 'database' },
      { uid: 'public.cards', type: 'table' },
    ]);
    // The statement's second line is kept with the session of the entry it continues.
    expect(events[4]).toMatchObject({ raw: { continued: true, pid: 4130 } });
    expect(events[4]?.message).toContain('(continued) from public.cards');
    expect(events[6]?.actor.uid).toBeNull();
  });

  it('reads MySQL audit and error logs, with Aurora times in microseconds', async () => {
    const audit = await ingestText(rds, MYSQL_AUDIT);
    expect(audit.rejected).toEqual([]);
    expect(audit.events.map((e) => [e.time, e.activity, e.status, e.api.operation])).toEqual([
      ['2024-04-02T10:00:01.000Z', 'Logon', 'success', 'login'],
      ['2024-04-02T10:00:02.000Z', 'Other', 'success', 'SELECT'],
      ['2024-04-02T10:00:03.000Z', 'Logon', 'failure', 'login'],
    ]);
    expect(audit.events[1]?.raw.object).toBe("SELECT name, email FROM customers WHERE id = '7'");
    expect(audit.events[2]).toMatchObject({
      actor: { uid: 'root' },
      src: { ip: '198.51.100.7' },
      status_detail: 'error 1045',
    });

    const errors = await ingestText(rds, MYSQL_ERROR);
    expect(errors.events[0]).toMatchObject({
      category: 'identity',
      status: 'failure',
      actor: { uid: 'root' },
      src: { ip: '198.51.100.7' },
    });
    expect(errors.events[1]).toMatchObject({ category: 'database', status: 'failure' });
  });

  it('keeps lines of no known layout as rejected records and goes on', async () => {
    const { events, rejected } = await ingestText(rds, `${MYSQL_AUDIT}\nnot a database log\n`);
    expect(events).toHaveLength(3);
    expect(rejected).toEqual([expect.objectContaining({ code: 'not_rds_log', line: 4 })]);
  });

  it('is recognised from its first lines', () => {
    for (const text of [POSTGRES_LOG, MYSQL_AUDIT, MYSQL_ERROR]) {
      expect(detectFormat(Buffer.from(text), 'log')?.id).toBe('aws.rds');
    }
  });
});
