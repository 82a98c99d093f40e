import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { SyslogLineParser, syslog, YearInference } from './syslog.ts';
import { ingestLogFile, ingestText, ingestWith, LOGS } from './test-ingest.ts';
import { scanTextRecords } from './text-lines.ts';

const OPENSSH = 'loghub-openssh-linux/OpenSSH/OpenSSH_2k.log';
const LINUX = 'loghub-openssh-linux/Linux/Linux_2k.log';
const PLASO = 'plaso-cloud-test-data/test_data/syslog_ssh.log';

describe('syslog and auth logs', () => {
  it('reads all 2,000 lines of a real sshd log', async () => {
    const { events, rejected } = await ingestLogFile(syslog, OPENSSH);

    expect(rejected).toEqual([]);
    expect(events).toHaveLength(2000);
  });

  it('gives failed and invalid-user logins their user and source address', async () => {
    const { events } = await ingestLogFile(syslog, OPENSSH);
    const attempts = events.filter((event) =>
      /^(message repeated \d+ times: \[ )?(Failed password|Invalid user)/.test(
        String(event.raw.message),
      ),
    );

    expect(attempts.length).toBeGreaterThan(500);
    for (const event of attempts) {
      expect(event.status).toBe('failure');
      expect(event.actor.uid).not.toBeNull();
      expect(event.src.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
    expect(attempts[0]).toMatchObject({
      category: 'identity',
      class_name: 'Authentication',
      status_detail: 'invalid user',
      actor: { uid: 'webmaster' },
      src: { ip: '173.234.31.186' },
      dst: { domain: 'LabSZ' },
      api: { service: 'sshd' },
    });
  });

  it('reads every line of the other real logs', async () => {
    expect((await ingestLogFile(syslog, LINUX)).events).toHaveLength(2000);
    const plaso = await ingestLogFile(syslog, PLASO);
    expect(plaso.rejected).toEqual([]);
    expect(plaso.events.map((event) => [event.activity, event.status, event.actor.uid])).toEqual([
      ['Other', 'unknown', null],
      ['Logon', 'success', 'plaso'],
      ['Logon', 'success', 'plaso'],
      ['Logon', 'failure', 'plaso'],
      ['Other', 'unknown', null],
      ['Logon', 'failure', 'root'],
      ['Logon', 'success', 'fred'],
      ['Logon', 'success', 'fred'],
      ['Logon', 'success', 'fred'],
    ]);
  });

  it('infers the year from the ingest time and rolls it over at New Year', async () => {
    const lines = ['Dec 31 23:59:59 h cron[1]: a', 'Jan  1 00:00:01 h cron[1]: b'].join('\n');
    const reference = Date.UTC(2024, 5, 1);
    const parser = new SyslogLineParser(new YearInference(reference));
    const input = Readable.from([Buffer.from(lines)]);
    const { events } = await ingestWith(
      { ...syslog, records: () => scanTextRecords(input, parser) },
      input,
    );

    // December lies ahead of June 2024, so it is December 2023.
    expect(events.map((event) => event.time)).toEqual([
      '2023-12-31T23:59:59.000Z',
      '2024-01-01T00:00:01.000Z',
    ]);
    expect(events[0]?.raw.year_inferred).toBe(2023);

    // An impossible date is rejected without moving the inferred year on.
    const withBad = [
      'May 16 01:00:00 h a: x',
      'Feb 30 01:00:00 h a: bad',
      'Dec 31 23:59:59 h a: y',
    ];
    const years = new SyslogLineParser(new YearInference(reference));
    const results = withBad.map((line) => years.parse(line));
    expect(results.map((result) => result.kind)).toEqual(['record', 'rejected', 'record']);
    const last = results[2];
    expect(last?.kind === 'record' ? last.value.time : null).toBe('2024-12-31T23:59:59.000Z');
    expect(events[0]?.tags).toEqual(['year_inferred']);
  });

  it('reads RFC 5424 and RFC 3339 lines with their zone', async () => {
    const text = [
      '<38>1 2024-05-01T10:00:00.5+02:00 web1 sshd 811 - - Accepted publickey for ops from 198.51.100.4 port 50022 ssh2',
      '2024-05-01T08:00:01.000000+00:00 web1 sudo: ops : TTY=pts/0 ; PWD=/home/ops ; USER=root ; COMMAND=/usr/bin/id',
      '<86>May  1 08:00:02 web1 su: FAILED SU (to root) ops on pts/0',
    ].join('\n');
    const { events, rejected } = await ingestText(syslog, text);

    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      time: '2024-05-01T08:00:00.500Z',
      status: 'success',
      actor: { uid: 'ops' },
      src: { ip: '198.51.100.4', port: 50022 },
    });
    expect(events[0]?.tags).toEqual([]);
    expect(events[1]).toMatchObject({
      class_name: 'Process Activity',
      activity: 'Launch',
      actor: { uid: 'ops' },
      api: { operation: 'sudo /usr/bin/id' },
      resources: [
        { uid: 'web1', type: 'host' },
        { uid: 'root', type: 'user' },
      ],
    });
    expect(events[2]).toMatchObject({ status: 'failure', actor: { uid: 'ops' } });
  });

  it('is recognised from its first lines, and rejects lines of no layout', async () => {
    const head = readFileSync(path.join(LOGS, OPENSSH));
    expect(detectFormat(head, 'OpenSSH_2k.log')?.id).toBe('host.syslog');

    const { events, rejected } = await ingestText(
      syslog,
      'Dec 10 06:55:46 h sshd[1]: ok\nnot a log line\n',
    );
    expect(events).toHaveLength(1);
    expect(rejected.map((entry) => [entry.code, 'line' in entry ? entry.line : null])).toEqual([
      ['not_syslog', 2],
    ]);
  });

  it('keeps a hostile long line as a plain host event', async () => {
    const line = `Dec 10 06:55:46 h sshd[1]: Failed password for ${'a from b '.repeat(50_000)}`;
    const { events } = await ingestText(syslog, line);

    expect(events[0]).toMatchObject({ status: 'unknown', actor: { uid: null } });
  });
});
